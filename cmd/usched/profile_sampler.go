package main

// The sampler of "usched profile": it reads the Stats of the runtime the
// workload is running, when the runtime starts, about once per interval
// while it runs, and once more when the workload is done with it, and
// hands each sample to the view.

import (
	"strconv"
	"sync"
	"time"

	"github.com/usched/usched"
)

type sampler struct {
	interval time.Duration
	draw     func(prev *usched.Sample, cur *usched.Sample) // called with mu held, one sample at a time

	mu      sync.Mutex
	rt      *usched.Runtime // protected by mu: the runtime sampled now, nil between runtimes
	run     string          // protected by mu: rt's name in the samples
	samples []usched.Sample // protected by mu
	names   map[string]int  // protected by mu: runtimes seen per name, to tell repeated runs apart
	runFrom int             // protected by mu: index in samples of rt's first sample

	tick *time.Ticker
	quit chan struct{}
	done chan struct{}
}

// startSampler starts sampling every interval; nothing is read until a
// runtime is observed.
func startSampler(interval time.Duration, draw func(prev, cur *usched.Sample)) *sampler {
	s := &sampler{
		interval: interval, draw: draw, names: map[string]int{},
		tick: time.NewTicker(interval), quit: make(chan struct{}), done: make(chan struct{}),
	}
	go s.loop()
	return s
}

func (s *sampler) loop() {
	defer close(s.done)
	for {
		select {
		case <-s.quit:
			return
		case <-s.tick.C:
			s.mu.Lock()
			if s.rt != nil {
				s.takeLocked()
			}
			s.mu.Unlock()
		}
	}
}

// observe is the runtimeObserver: it samples rt from now until the
// returned function is called, which takes the last sample.
func (s *sampler) observe(name string, rt *usched.Runtime) (done func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Repeated runs of one scenario (stress -duration) are runtimes of
	// their own: a sample's Run must change where the counters restart.
	s.names[name]++
	if n := s.names[name]; n > 1 {
		name += " #" + strconv.Itoa(n)
	}
	s.rt, s.run, s.runFrom = rt, name, len(s.samples)
	s.takeLocked()
	// A full interval from the runtime's start, not what is left of the
	// previous runtime's: rates over a sliver of time are mostly noise.
	s.tick.Reset(s.interval)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.rt != rt {
			return
		}
		// A tick just before the end would leave a last interval of a
		// few milliseconds, whose rates are mostly noise: the last sample
		// takes that tick's place instead (not the runtime's first
		// sample's, which the rates start from).
		if n := len(s.samples); n-1 > s.runFrom && time.Since(s.samples[n-1].Time) < s.interval/2 {
			s.samples = s.samples[:n-1]
		}
		s.takeLocked()
		s.rt = nil
	}
}

// takeLocked reads the current runtime's Stats and draws the sample.
// s.mu must be held and s.rt set.
func (s *sampler) takeLocked() {
	s.samples = append(s.samples, usched.Sample{Time: time.Now(), Run: s.run, Stats: s.rt.Stats()})
	cur := &s.samples[len(s.samples)-1]
	var prev *usched.Sample
	if n := len(s.samples); n-1 > s.runFrom {
		prev = &s.samples[n-2]
	}
	s.draw(prev, cur)
}

// stop ends sampling and returns every sample taken.
func (s *sampler) stop() []usched.Sample {
	close(s.quit)
	<-s.done
	s.tick.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rt = nil
	return s.samples
}
