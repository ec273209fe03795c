package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressInterval is how often the bar is redrawn.
const progressInterval = 100 * time.Millisecond

// progressWidth is the number of cells of the bar itself.
const progressWidth = 30

// progressBar redraws one line on a terminal, with \r, until stopped:
//
//	[=============>                ]  45.3%  453120/1000000 Gs  1.21M Gs/s
//
// It reads progress through a callback (the runtime's FinishedGs counter),
// so the Gs being counted pay nothing for it.
type progressBar struct {
	w     io.Writer
	total uint64
	done  func() uint64
	start time.Time

	quit     chan struct{}
	finished chan struct{}
	once     sync.Once
	longest  int // owned by the drawing goroutine (then by stop): widest line drawn
}

// isTerminal reports whether f is a character device (a terminal, or
// something that behaves like one). A pipe or a file is not, and gets no
// progress bar: \r redraws would only clutter it.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startProgress starts redrawing a bar on w every progressInterval until
// stop is called. done returns how many of total units are finished; it is
// called from another goroutine.
func startProgress(w io.Writer, total uint64, done func() uint64) *progressBar {
	pb := &progressBar{
		w: w, total: total, done: done, start: time.Now(),
		quit: make(chan struct{}), finished: make(chan struct{}),
	}
	go pb.loop()
	return pb
}

func (pb *progressBar) loop() {
	defer close(pb.finished)
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	for {
		select {
		case <-pb.quit:
			return
		case <-tick.C:
			pb.draw(pb.done())
		}
	}
}

func (pb *progressBar) draw(done uint64) {
	line := renderProgress(done, pb.total, time.Since(pb.start), progressWidth)
	pad := pb.longest - len(line)
	pb.longest = max(pb.longest, len(line))
	if pad < 0 {
		pad = 0
	}
	// Spaces rub out the tail of a longer previous line.
	fmt.Fprintf(pb.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

// stop draws the final state and ends the line. Safe on a nil bar (no bar
// was wanted) and idempotent.
func (pb *progressBar) stop() {
	if pb == nil {
		return
	}
	pb.once.Do(func() {
		close(pb.quit)
		<-pb.finished
		pb.draw(pb.done())
		fmt.Fprintln(pb.w)
	})
}

// renderProgress returns the bar's text (without \r) for done of total
// units after elapsed, with a bar of width cells.
func renderProgress(done, total uint64, elapsed time.Duration, width int) string {
	done = min(done, total)
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	full := int(frac * float64(width))
	var bar strings.Builder
	bar.Grow(width + 2)
	bar.WriteByte('[')
	for i := range width {
		switch {
		case i < full:
			bar.WriteByte('=')
		case i == full && done < total:
			bar.WriteByte('>')
		default:
			bar.WriteByte(' ')
		}
	}
	bar.WriteByte(']')
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	return fmt.Sprintf("%s %5.1f%%  %d/%d Gs  %s Gs/s", bar.String(), 100*frac, done, total, humanCount(rate))
}

// humanCount formats n with a k/M/G suffix and three significant digits.
func humanCount(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.3gG", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.3gM", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.3gk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}
