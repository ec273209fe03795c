//go:build !amd64

package asm

func HasRDPID() bool  { return false }
func HasRDTSCP() bool { return false }

// CPUMethods returns, by name, every way of reading the current CPU that
// this CPU and OS offer, whether or not CPU uses it.
func CPUMethods() map[string]func() int {
	return map[string]func() int{"getcpu": getcpu}
}

// CPUMode names the method CPU uses.
func CPUMode() string { return "getcpu" }
