package meter

import "time"

// Observer receives the events that metrics count, so that the binary can
// bind them to its metrics library without this package importing it.
// Every field may be nil; the functions are called from several
// goroutines and must be quick.
type Observer struct {
	// ReadDone is called after each attempt to read a meter: reason is ""
	// on success.
	ReadDone func(meterID string, reason Reason, took time.Duration)
	// Retry is called when a meter read or a command is scheduled again
	// after a failure of reason.
	Retry func(meterID string, reason Reason)
	// ClockSet is called when a meter's clock was corrected.
	ClockSet func(meterID string, drift time.Duration)
	// CommandDone is called when a command reaches a final state (done,
	// failed, cancelled or superseded): reason is "" unless it failed.
	CommandDone func(kind CommandKind, state CommandState, reason Reason)
	// QueueDepth is called with the number of open commands after each
	// change of the queue.
	QueueDepth func(n int)
}
