package apdu

import "fmt"

// InvokeIDAndPriority is the Invoke-Id-And-Priority byte of GET, SET and
// ACTION APDUs: the invoke id in bits 0 to 3, the service class in bit 6
// and the priority in bit 7.
type InvokeIDAndPriority uint8

// Flags of InvokeIDAndPriority.
const (
	ServiceClassConfirmed InvokeIDAndPriority = 0x40 // a response is expected
	PriorityHigh          InvokeIDAndPriority = 0x80 // served before normal-priority requests
)

// NewInvoke returns the Invoke-Id-And-Priority byte of a confirmed request
// with invoke id id (taken modulo 16), at high priority when high is true.
func NewInvoke(id uint8, high bool) InvokeIDAndPriority {
	v := InvokeIDAndPriority(id&0x0F) | ServiceClassConfirmed
	if high {
		v |= PriorityHigh
	}
	return v
}

// InvokeID returns the invoke id, 0 to 15.
func (v InvokeIDAndPriority) InvokeID() uint8 { return uint8(v) & 0x0F }

// Confirmed reports whether the service class is confirmed.
func (v InvokeIDAndPriority) Confirmed() bool { return v&ServiceClassConfirmed != 0 }

// High reports whether the priority is high.
func (v InvokeIDAndPriority) High() bool { return v&PriorityHigh != 0 }

// String returns e.g. "0xC1 (invoke-id 1, confirmed, high priority)".
func (v InvokeIDAndPriority) String() string {
	class, prio := "unconfirmed", "normal"
	if v.Confirmed() {
		class = "confirmed"
	}
	if v.High() {
		prio = "high"
	}
	return fmt.Sprintf("0x%02X (invoke-id %d, %s, %s priority)", uint8(v), v.InvokeID(), class, prio)
}

// LongInvokeIDAndPriority is the Long-Invoke-Id-And-Priority of
// data-notification: the invoke id in bits 0 to 23, self-descriptive in
// bit 28, processing-option (break on error) in bit 29, the service class
// in bit 30 and the priority in bit 31.
type LongInvokeIDAndPriority uint32

// Flags of LongInvokeIDAndPriority.
const (
	LongSelfDescriptive       LongInvokeIDAndPriority = 1 << 28
	LongBreakOnError          LongInvokeIDAndPriority = 1 << 29
	LongServiceClassConfirmed LongInvokeIDAndPriority = 1 << 30
	LongPriorityHigh          LongInvokeIDAndPriority = 1 << 31
)

// InvokeID returns the invoke id, 0 to 2^24-1.
func (v LongInvokeIDAndPriority) InvokeID() uint32 { return uint32(v) & 0xFFFFFF }

// SelfDescriptive reports whether the notification body is self-descriptive.
func (v LongInvokeIDAndPriority) SelfDescriptive() bool { return v&LongSelfDescriptive != 0 }

// BreakOnError reports whether processing stops at the first error.
func (v LongInvokeIDAndPriority) BreakOnError() bool { return v&LongBreakOnError != 0 }

// Confirmed reports whether the service class is confirmed.
func (v LongInvokeIDAndPriority) Confirmed() bool { return v&LongServiceClassConfirmed != 0 }

// High reports whether the priority is high.
func (v LongInvokeIDAndPriority) High() bool { return v&LongPriorityHigh != 0 }

// String returns e.g. "0x00000001 (invoke-id 1, unconfirmed, normal priority)".
func (v LongInvokeIDAndPriority) String() string {
	class, prio := "unconfirmed", "normal"
	if v.Confirmed() {
		class = "confirmed"
	}
	if v.High() {
		prio = "high"
	}
	s := fmt.Sprintf("0x%08X (invoke-id %d, %s, %s priority", uint32(v), v.InvokeID(), class, prio)
	if v.SelfDescriptive() {
		s += ", self-descriptive"
	}
	if v.BreakOnError() {
		s += ", break on error"
	}
	return s + ")"
}
