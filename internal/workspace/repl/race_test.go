//go:build race

package repl

// raceEnabled: the race detector slows the emulator about tenfold.
const raceEnabled = true
