//go:build race

package cli

// raceEnabled makes the fleet tests smaller under the race detector, which
// slows the head-end and the simulator tenfold.
const raceEnabled = true
