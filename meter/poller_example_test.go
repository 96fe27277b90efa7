package meter_test

import (
	"fmt"
	"time"

	"github.com/openhes/hes/meter"
)

// The daily reads run from 01:00 to 06:00 Brussels time; on the day that
// daylight saving time starts, the window is an hour shorter.
func ExampleWindow_On() {
	loc, _ := time.LoadLocation("Europe/Brussels")
	for _, day := range []string{"2026-03-28", "2026-03-29"} {
		start, end, _ := meter.DefaultWindow.On(day, loc)
		fmt.Println(day, start.Format("15:04 MST"), "to", end.Format("15:04 MST"), end.Sub(start))
	}
	// Output:
	// 2026-03-28 01:00 CET to 06:00 CET 5h0m0s
	// 2026-03-29 01:00 CET to 06:00 CEST 4h0m0s
}

// The waits before the retries of a meter read, at the middle of their
// jitter band.
func ExampleBackoff_Delay() {
	b := meter.DefaultPollBackoff
	for n := 1; n <= 6; n++ {
		fmt.Println(n, b.Delay(n, 0.5))
	}
	fmt.Println("first retry from", b.Delay(1, 0), "to", b.Delay(1, 0.99995))
	// Output:
	// 1 1m0s
	// 2 2m0s
	// 3 4m0s
	// 4 8m0s
	// 5 15m0s
	// 6 15m0s
	// first retry from 48s to 1m11.9988s
}
