package sim

import (
	"errors"
	"fmt"
	"testing"
)

// TestNextTable checks every control mode against every state and trigger.
// The expectations are the Blue Book's list of enabled transitions per mode,
// written out as the moves they allow ("state trigger -> state letter");
// every other combination must be refused.
func TestNextTable(t *testing.T) {
	const (
		D = Disconnected
		C = Connected
		R = ReadyForReconnection
	)
	type move struct {
		from ControlState
		tr   Trigger
		to   ControlState
		name Transition
	}
	var (
		b = move{C, RemoteDisconnect, D, 'b'}
		c = move{R, RemoteDisconnect, D, 'c'}
		a = move{D, RemoteReconnect, C, 'a'}
		d = move{D, RemoteReconnect, R, 'd'}
		e = move{R, ManualReconnect, C, 'e'}
		f = move{C, ManualDisconnect, R, 'f'}
		g = move{C, LocalDisconnect, R, 'g'}
		h = move{R, LocalReconnect, C, 'h'}
	)
	allowed := map[ControlMode][]move{
		0: {},
		1: {b, c, f, g, d, e},
		2: {b, c, f, g, a, e},
		3: {b, c, g, d, e},
		4: {b, c, g, a, e},
		5: {b, c, f, g, d, e, h},
		6: {b, c, g, d, e, h},
	}
	triggers := []Trigger{RemoteDisconnect, RemoteReconnect, ManualDisconnect, ManualReconnect, LocalDisconnect, LocalReconnect}
	for mode := ControlMode(0); mode <= MaxControlMode; mode++ {
		for _, from := range []ControlState{D, C, R} {
			for _, tr := range triggers {
				t.Run(fmt.Sprintf("mode%d/%v/%v", mode, from, tr), func(t *testing.T) {
					want := move{from: from, tr: tr, to: from}
					ok := false
					for _, mv := range allowed[mode] {
						if mv.from == from && mv.tr == tr {
							want, ok = mv, true
						}
					}
					to, name, err := Next(mode, from, tr)
					if !ok {
						var te *TransitionError
						if !errors.Is(err, ErrNotAllowed) || !errors.As(err, &te) || te.Mode != mode || te.State != from || te.Trigger != tr {
							t.Fatalf("Next = %v, %v, %v; want a *TransitionError", to, name, err)
						}
						if to != from || name != 0 {
							t.Fatalf("refused Next moved to %v by %v", to, name)
						}
						return
					}
					if err != nil || to != want.to || name != want.name {
						t.Fatalf("Next = %v, %v, %v; want %v, %v", to, name, err, want.to, want.name)
					}
				})
			}
		}
	}
}

func TestControlModeEnables(t *testing.T) {
	tests := []struct {
		mode ControlMode
		want string
	}{
		{0, ""}, {1, "bcdefg"}, {2, "abcefg"}, {3, "bcdeg"}, {4, "abceg"}, {5, "bcdefgh"}, {6, "bcdegh"}, {7, ""},
	}
	for _, tt := range tests {
		got := ""
		for l := Transition('a'); l <= 'h'; l++ {
			if tt.mode.Enables(l) {
				got += l.String()
			}
		}
		if got != tt.want {
			t.Errorf("mode %d enables %q, want %q", tt.mode, got, tt.want)
		}
	}
}

func TestTransitionErrorText(t *testing.T) {
	_, _, err := Next(3, Connected, ManualDisconnect)
	want := "manual_disconnect not allowed in state connected with control mode 3"
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}
