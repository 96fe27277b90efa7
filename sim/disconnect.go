package sim

import (
	"errors"
	"fmt"
)

// ControlState is the control_state of a disconnect control (interface class
// 70, attribute 3).
type ControlState uint8

// The three states of a disconnect control.
const (
	Disconnected         ControlState = 0 // output open; only a remote command leaves this state
	Connected            ControlState = 1 // output closed, energy flows
	ReadyForReconnection ControlState = 2 // output open; the customer may close it
)

func (s ControlState) String() string {
	switch s {
	case Disconnected:
		return "disconnected"
	case Connected:
		return "connected"
	case ReadyForReconnection:
		return "ready_for_reconnection"
	}
	return fmt.Sprintf("ControlState(%d)", uint8(s))
}

// Output is the output_state (attribute 2) that goes with the state: true
// (closed) only when connected.
func (s ControlState) Output() bool { return s == Connected }

// ControlMode is the control_mode of a disconnect control (attribute 4): which
// transitions of the state machine are enabled.
type ControlMode uint8

// MaxControlMode is the highest control mode defined.
const MaxControlMode ControlMode = 6

// DefaultControlMode is the control mode of a new breaker and valve: a remote
// reconnection arms, the customer's button closes.
const DefaultControlMode ControlMode = 1

// Trigger is what asks a disconnect control to change state.
type Trigger uint8

// The triggers of the state machine. Remote triggers are the methods of the
// class (1 remote_disconnect, 2 remote_reconnect); manual ones come from the
// customer's button; local ones from a function of the meter (the limiter).
const (
	RemoteDisconnect Trigger = iota + 1
	RemoteReconnect
	ManualDisconnect
	ManualReconnect
	LocalDisconnect
	LocalReconnect
)

func (t Trigger) String() string {
	switch t {
	case RemoteDisconnect:
		return "remote_disconnect"
	case RemoteReconnect:
		return "remote_reconnect"
	case ManualDisconnect:
		return "manual_disconnect"
	case ManualReconnect:
		return "manual_reconnect"
	case LocalDisconnect:
		return "local_disconnect"
	case LocalReconnect:
		return "local_reconnect"
	}
	return fmt.Sprintf("Trigger(%d)", uint8(t))
}

// Transition names an edge of the state diagram by its letter, 'a' to 'h'.
// The zero Transition means that nothing happened.
type Transition byte

func (t Transition) String() string {
	if t == 0 {
		return "none"
	}
	return string(rune(t))
}

// transitions is the state diagram of the disconnect control interface class.
var transitions = [...]struct {
	name     Transition
	trigger  Trigger
	from, to ControlState
}{
	{'a', RemoteReconnect, Disconnected, Connected},
	{'b', RemoteDisconnect, Connected, Disconnected},
	{'c', RemoteDisconnect, ReadyForReconnection, Disconnected},
	{'d', RemoteReconnect, Disconnected, ReadyForReconnection},
	{'e', ManualReconnect, ReadyForReconnection, Connected},
	{'f', ManualDisconnect, Connected, ReadyForReconnection},
	{'g', LocalDisconnect, Connected, ReadyForReconnection},
	{'h', LocalReconnect, ReadyForReconnection, Connected},
}

// enabled lists, per control mode, the transitions that the mode enables.
// Mode 0 enables none: the output is always connected.
var enabled = [MaxControlMode + 1]string{
	0: "",
	1: "bcfgde",  // remote reconnection arms; manual disconnection allowed
	2: "bcfgae",  // remote reconnection closes
	3: "bcgde",   // as 1 without manual disconnection
	4: "bcgae",   // as 2 without manual disconnection
	5: "bcfgdeh", // as 1, and local reconnection
	6: "bcgdeh",  // as 3, and local reconnection
}

// Valid reports whether m is a defined control mode (0 to 6).
func (m ControlMode) Valid() bool { return m <= MaxControlMode }

// Enables reports whether the mode enables transition t.
func (m ControlMode) Enables(t Transition) bool {
	if !m.Valid() || t == 0 {
		return false
	}
	for i := 0; i < len(enabled[m]); i++ {
		if Transition(enabled[m][i]) == t {
			return true
		}
	}
	return false
}

// ErrNotAllowed is matched (errors.Is) by every *TransitionError: the control
// mode and the state do not allow what was asked.
var ErrNotAllowed = errors.New("transition not allowed")

// ErrControlMode is returned for a control mode above 6.
var ErrControlMode = errors.New("control mode out of range 0..6")

// TransitionError tells which trigger was refused, in which mode and state.
type TransitionError struct {
	Mode    ControlMode
	State   ControlState
	Trigger Trigger
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("%v not allowed in state %v with control mode %d", e.Trigger, e.State, e.Mode)
}

// Is makes errors.Is(err, ErrNotAllowed) true.
func (e *TransitionError) Is(target error) bool { return target == ErrNotAllowed }

// Next is the transition function of the disconnect control: the state that
// trigger tr leads to from state from under control mode mode, and the
// transition taken. It returns a *TransitionError when the mode enables no
// transition for that trigger from that state.
func Next(mode ControlMode, from ControlState, tr Trigger) (ControlState, Transition, error) {
	for _, t := range transitions {
		if t.trigger == tr && t.from == from && mode.Enables(t.name) {
			return t.to, t.name, nil
		}
	}
	return from, 0, &TransitionError{Mode: mode, State: from, Trigger: tr}
}
