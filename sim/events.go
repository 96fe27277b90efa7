package sim

import (
	"fmt"
	"time"
)

// EventCode is the code of an entry of the event log, numbered as in the
// IDIS event lists (standard, disconnector control and M-Bus control logs).
type EventCode uint16

// The events a simulated meter logs.
const (
	EventClockAdjustedOld     EventCode = 4   // clock adjusted, old date-time
	EventClockAdjustedNew     EventCode = 5   // clock adjusted, new date-time
	EventReadyForReconnection EventCode = 59  // breaker ready for manual reconnection
	EventManualDisconnection  EventCode = 60  // breaker opened by the button
	EventManualConnection     EventCode = 61  // breaker closed by the button
	EventRemoteDisconnection  EventCode = 62  // remote_disconnect executed
	EventRemoteConnection     EventCode = 63  // remote_reconnect executed
	EventLocalDisconnection   EventCode = 64  // breaker opened by the limiter
	EventLimiterExceeded      EventCode = 65  // limiter threshold exceeded
	EventLimiterOK            EventCode = 66  // power back under the limiter threshold
	EventLimiterChanged       EventCode = 67  // limiter threshold changed
	EventLocalReconnection    EventCode = 69  // breaker closed by the limiter
	EventValveManualOpen      EventCode = 161 // gas valve opened after the button and the safety test
	EventValveManualClose     EventCode = 160 // gas valve closed by the button
	EventValveRemoteClose     EventCode = 162 // gas valve remote_disconnect executed
	EventValveRemoteOpen      EventCode = 163 // gas valve remote_reconnect executed
)

var eventNames = map[EventCode]string{
	EventClockAdjustedOld:     "clock adjusted (old time)",
	EventClockAdjustedNew:     "clock adjusted (new time)",
	EventReadyForReconnection: "ready for manual reconnection",
	EventManualDisconnection:  "manual disconnection",
	EventManualConnection:     "manual connection",
	EventRemoteDisconnection:  "remote disconnection",
	EventRemoteConnection:     "remote connection",
	EventLocalDisconnection:   "local disconnection",
	EventLimiterExceeded:      "limiter threshold exceeded",
	EventLimiterOK:            "limiter threshold ok",
	EventLimiterChanged:       "limiter threshold changed",
	EventLocalReconnection:    "local reconnection",
	EventValveManualOpen:      "gas valve manual connection",
	EventValveManualClose:     "gas valve manual disconnection",
	EventValveRemoteClose:     "gas valve remote disconnection",
	EventValveRemoteOpen:      "gas valve remote connection",
}

func (c EventCode) String() string {
	if s, ok := eventNames[c]; ok {
		return s
	}
	return fmt.Sprintf("event %d", uint16(c))
}

// Event is an entry of the event log.
type Event struct {
	Time time.Time // the meter's clock when it happened
	Code EventCode
}

// EventLogSize is how many entries the event log keeps; older ones are
// dropped.
const EventLogSize = 100

type event struct {
	at   int64 // meter time
	code EventCode
}

// log appends events at the frontier, by the meter's clock; m.mu is held.
func (m *Meter) log(codes ...EventCode) {
	at := m.meterTime(m.front.t)
	for _, c := range codes {
		if len(m.events) == EventLogSize {
			copy(m.events, m.events[1:])
			m.events = m.events[:EventLogSize-1]
		}
		m.events = append(m.events, event{at: at, code: c})
	}
}

// Events returns the event log as of now, oldest first.
func (m *Meter) Events(now time.Time) []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at(now)
	out := make([]Event, len(m.events))
	for i, e := range m.events {
		out[i] = Event{Time: m.timeOf(e.at), Code: e.code}
	}
	return out
}

// transitionEvents are the events logged for each transition of the breaker
// ([0]) and the valve ([1]).
var transitionEvents = map[Transition][2][]EventCode{
	'a': {{EventRemoteConnection}, {EventValveRemoteOpen}},
	'b': {{EventRemoteDisconnection}, {EventValveRemoteClose}},
	'c': {{EventRemoteDisconnection}, {EventValveRemoteClose}},
	'd': {{EventRemoteConnection, EventReadyForReconnection}, {EventValveRemoteOpen}},
	'e': {{EventManualConnection}, {EventValveManualOpen}},
	'f': {{EventManualDisconnection, EventReadyForReconnection}, {EventValveManualClose}},
	'g': {{EventLocalDisconnection, EventReadyForReconnection}, nil},
	'h': {{EventLocalReconnection}, nil},
}
