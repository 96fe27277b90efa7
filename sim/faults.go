package sim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Faults are a meter's fault switches: the misbehaviour seen in the field
// that the server side of the simulator reproduces on the wire. The model
// only stores them, except for Replaced, which Replace sets.
type Faults struct {
	Silent            bool          // answers nothing at all
	Slow              time.Duration // waits this long before every answer
	LastFrameLate     time.Duration // waits this long before the last frame of a long answer
	DropEvery         int           // drops every n-th frame it should send; 0 never
	CorruptFCSEvery   int           // corrupts the FCS of every n-th frame; 0 never
	OpticalEcho       bool          // echoes the client's frames before answering, as an optical probe does
	RefuseAssociation bool          // rejects every association request
	NotAllowedFirst   bool          // refuses the first association attempt with service-not-allowed
	WrongSystemTitle  bool          // announces a system title other than its own
	ReplayCounter     bool          // ciphers with an invocation counter it used before
	LongFrames        bool          // sends HDLC information fields longer than 255 bytes
	SplitPush         bool          // sends its push across several HDLC frames
	Replaced          bool          // the meter was exchanged: its indexes restarted at 0
	ReplacedAt        time.Time     // when it was exchanged
}

// Faults returns the meter's fault switches.
func (m *Meter) Faults() Faults {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.faults
}

// SetFaults sets the meter's fault switches; Replaced and ReplacedAt are
// kept as they are (Replace sets them).
func (m *Meter) SetFaults(f Faults) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f.Replaced, f.ReplacedAt = m.faults.Replaced, m.faults.ReplacedAt
	m.faults = f
}

// FaultKind names a fault switch in a fault spec.
type FaultKind uint8

// The fault kinds, by their name in a fault spec.
const (
	FaultSilent      FaultKind = iota + 1 // silent
	FaultSlow                             // slow[:delay], default 2s
	FaultLate                             // late[:delay], the last frame late, default 3s
	FaultDrop                             // drop[:n], every n-th frame dropped, default 10
	FaultFCS                              // fcs[:n], every n-th FCS corrupted, default 10
	FaultEcho                             // echo
	FaultRefuse                           // refuse
	FaultNotAllowed                       // notallowed
	FaultSystemTitle                      // systitle
	FaultReplay                           // replay
	FaultLongFrames                       // longframes
	FaultSplitPush                        // splitpush
	FaultReplaced                         // replaced
)

var faultNames = [...]string{
	FaultSilent: "silent", FaultSlow: "slow", FaultLate: "late", FaultDrop: "drop", FaultFCS: "fcs",
	FaultEcho: "echo", FaultRefuse: "refuse", FaultNotAllowed: "notallowed", FaultSystemTitle: "systitle",
	FaultReplay: "replay", FaultLongFrames: "longframes", FaultSplitPush: "splitpush", FaultReplaced: "replaced",
}

func (k FaultKind) String() string {
	if int(k) > 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", uint8(k))
}

// Default parameters of the faults that take one.
const (
	DefaultSlow  = 2 * time.Second
	DefaultLate  = 3 * time.Second
	DefaultEvery = 10
)

// FaultRule switches one fault on for a part of a fleet: a share of its
// meters, chosen from the fleet seed, or the meters named in IDs.
type FaultRule struct {
	Kind  FaultKind
	Share int      // basis points of the fleet: 100 is 1 %, 10000 all meters
	IDs   []string // explicit meters; Share is ignored when set
	Delay time.Duration
	Every int
}

// FaultSpec is a list of fault rules, written for the command line as
// comma-separated rules "kind=target[:param]", where target is a share of
// the fleet ("2%", "0.5%") or meter ids joined by "+", and param a delay
// (slow, late) or a frame count (drop, fcs):
//
//	silent=2%,slow=1%:2s,fcs=1%,replaced=SIM000007+SIM000009
type FaultSpec []FaultRule

// ErrFaultSpec is matched by every error of ParseFaultSpec.
var ErrFaultSpec = errors.New("bad fault spec")

// ParseFaultSpec parses a fault spec; the empty string is an empty spec.
func ParseFaultSpec(s string) (FaultSpec, error) {
	var spec FaultSpec
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for i, item := range strings.Split(s, ",") {
		r, err := parseRule(strings.TrimSpace(item))
		if err != nil {
			return nil, fmt.Errorf("%w: rule %d %q: %v", ErrFaultSpec, i+1, item, err)
		}
		spec = append(spec, r)
	}
	return spec, nil
}

func parseRule(item string) (FaultRule, error) {
	name, target, ok := strings.Cut(item, "=")
	if !ok {
		return FaultRule{}, errors.New(`want kind=target`)
	}
	var r FaultRule
	for k, n := range faultNames {
		if n != "" && n == strings.TrimSpace(name) {
			r.Kind = FaultKind(k)
		}
	}
	if r.Kind == 0 {
		return r, fmt.Errorf("unknown fault %q", name)
	}
	target, param, hasParam := strings.Cut(target, ":")
	switch {
	case strings.HasSuffix(target, "%"):
		share, err := parseShare(strings.TrimSuffix(target, "%"))
		if err != nil {
			return r, err
		}
		r.Share = share
	case target == "":
		return r, errors.New("no target")
	default:
		for _, id := range strings.Split(target, "+") {
			if id == "" {
				return r, errors.New("empty meter id")
			}
			r.IDs = append(r.IDs, id)
		}
	}
	switch r.Kind {
	case FaultSlow, FaultLate:
		r.Delay = DefaultSlow
		if r.Kind == FaultLate {
			r.Delay = DefaultLate
		}
		if hasParam {
			d, err := time.ParseDuration(param)
			if err != nil || d < 0 {
				return r, fmt.Errorf("bad delay %q", param)
			}
			r.Delay = d
		}
	case FaultDrop, FaultFCS:
		r.Every = DefaultEvery
		if hasParam {
			n, err := strconv.Atoi(param)
			if err != nil || n < 1 {
				return r, fmt.Errorf("bad frame count %q", param)
			}
			r.Every = n
		}
	default:
		if hasParam {
			return r, fmt.Errorf("%v takes no parameter", r.Kind)
		}
	}
	return r, nil
}

// parseShare parses a percentage with up to two decimals into basis points.
func parseShare(s string) (int, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("share %s%%: at most two decimals", s)
	}
	w, err := strconv.Atoi(whole)
	if err != nil || w < 0 {
		return 0, fmt.Errorf("bad share %s%%", s)
	}
	f := 0
	if frac != "" {
		if f, err = strconv.Atoi(frac + strings.Repeat("0", 2-len(frac))); err != nil || f < 0 {
			return 0, fmt.Errorf("bad share %s%%", s)
		}
	}
	bp := w*100 + f
	if bp > 10000 {
		return 0, fmt.Errorf("share %s%% above 100%%", s)
	}
	return bp, nil
}

// String writes the spec back in its command-line form.
func (s FaultSpec) String() string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(r.Kind.String())
		b.WriteByte('=')
		if len(r.IDs) > 0 {
			b.WriteString(strings.Join(r.IDs, "+"))
		} else {
			fmt.Fprintf(&b, "%d", r.Share/100)
			if f := r.Share % 100; f%10 != 0 {
				fmt.Fprintf(&b, ".%02d", f)
			} else if f != 0 {
				fmt.Fprintf(&b, ".%d", f/10)
			}
			b.WriteByte('%')
		}
		switch r.Kind {
		case FaultSlow, FaultLate:
			b.WriteString(":" + r.Delay.String())
		case FaultDrop, FaultFCS:
			fmt.Fprintf(&b, ":%d", r.Every)
		}
	}
	return b.String()
}

// selects reports whether the rule applies to the meter with id at index i
// of the fleet with seed fleetSeed.
func (r FaultRule) selects(fleetSeed uint64, i int, id string) bool {
	if len(r.IDs) > 0 {
		for _, x := range r.IDs {
			if x == id {
				return true
			}
		}
		return false
	}
	return int(hash(fleetSeed, tagFault, int64(r.Kind)<<32|int64(i))%10000) < r.Share
}

// set switches the rule's fault on in f (all but FaultReplaced).
func (r FaultRule) set(f *Faults) {
	switch r.Kind {
	case FaultSilent:
		f.Silent = true
	case FaultSlow:
		f.Slow = r.Delay
	case FaultLate:
		f.LastFrameLate = r.Delay
	case FaultDrop:
		f.DropEvery = r.Every
	case FaultFCS:
		f.CorruptFCSEvery = r.Every
	case FaultEcho:
		f.OpticalEcho = true
	case FaultRefuse:
		f.RefuseAssociation = true
	case FaultNotAllowed:
		f.NotAllowedFirst = true
	case FaultSystemTitle:
		f.WrongSystemTitle = true
	case FaultReplay:
		f.ReplayCounter = true
	case FaultLongFrames:
		f.LongFrames = true
	case FaultSplitPush:
		f.SplitPush = true
	}
}
