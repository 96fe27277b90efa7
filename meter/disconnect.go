package meter

import (
	"context"
	"math"
	"strconv"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// ControlState is the control_state of a Disconnect control (class 70).
type ControlState uint8

// The control states.
const (
	Disconnected         ControlState = 0
	Connected            ControlState = 1
	ReadyForReconnection ControlState = 2 // armed: the customer's button closes
)

// String returns the state's name, e.g. "ready-for-reconnection".
func (s ControlState) String() string {
	switch s {
	case Disconnected:
		return "disconnected"
	case Connected:
		return "connected"
	case ReadyForReconnection:
		return "ready-for-reconnection"
	}
	return "control-state(" + strconv.Itoa(int(s)) + ")"
}

// ControlMode is the control_mode of a Disconnect control: which
// transitions between the states the remote, manual and local commands
// may make. Mode 0 never disconnects. In modes 1, 3, 5 and 6 a remote
// reconnection only arms (ready_for_reconnection) and the customer closes;
// in modes 2 and 4 it closes the breaker at once. Modes 3, 4 and 6 refuse
// a manual disconnection; modes 5 and 6 reconnect locally as well.
type ControlMode uint8

// String returns "mode N".
func (m ControlMode) String() string { return "mode " + strconv.Itoa(int(m)) }

// ReconnectClosesBreaker reports whether a remote_reconnect in mode m
// closes the breaker at once (modes 2 and 4) instead of arming it for the
// customer. A caller that means to arm refuses to send remote_reconnect to
// a meter in such a mode: the power would come back with nobody there.
func ReconnectClosesBreaker(m ControlMode) bool { return m == 2 || m == 4 }

// BreakerState is what a Disconnect control says: the breaker (or valve)
// itself, the control state and the control mode.
type BreakerState struct {
	Output bool         // output_state (attribute 2): true when closed, energy flows
	State  ControlState // control_state (attribute 3)
	Mode   ControlMode  // control_mode (attribute 4)
}

// ReadBreaker reads attributes 2 to 4 of a Disconnect control (a breaker
// or a gas valve), in one request when the association has the with-list
// services.
func (c *Client) ReadBreaker(ctx context.Context, obis dlms.OBIS) (BreakerState, error) {
	const class = dlms.ClassDisconnectControl
	values, err := c.getAttrs(ctx, class, obis, 2, 3, 4)
	if err != nil {
		return BreakerState{}, err
	}
	var s BreakerState
	if s.Output, err = asBool(values[0]); err != nil {
		return BreakerState{}, badValue(class, obis, 2, err)
	}
	state, err := asUint(values[1], math.MaxUint8)
	if err != nil {
		return BreakerState{}, badValue(class, obis, 3, err)
	}
	mode, err := asUint(values[2], math.MaxUint8)
	if err != nil {
		return BreakerState{}, badValue(class, obis, 4, err)
	}
	s.State, s.Mode = ControlState(state), ControlMode(mode)
	return s, nil
}

// RemoteDisconnect invokes remote_disconnect (method 1): the breaker
// opens.
func (c *Client) RemoteDisconnect(ctx context.Context, obis dlms.OBIS) error {
	return c.disconnectControl(ctx, obis, 1)
}

// RemoteReconnect invokes remote_reconnect (method 2): the breaker closes
// or is armed, depending on the control mode (see ReconnectClosesBreaker).
func (c *Client) RemoteReconnect(ctx context.Context, obis dlms.OBIS) error {
	return c.disconnectControl(ctx, obis, 2)
}

// SetControlMode writes the control_mode (attribute 4).
func (c *Client) SetControlMode(ctx context.Context, obis dlms.OBIS, m ControlMode) error {
	return c.Set(ctx, dlms.ClassDisconnectControl, obis, 4, axdr.Enum(uint8(m)))
}

func (c *Client) disconnectControl(ctx context.Context, obis dlms.OBIS, method int8) error {
	arg := axdr.Int8(0)
	_, err := c.Action(ctx, dlms.ClassDisconnectControl, obis, method, &arg)
	return err
}
