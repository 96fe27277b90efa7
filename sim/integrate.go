package sim

// The integrator. A meter's registers at any instant are the integral of the
// consumption model from the meter's commissioning, under the parameters in
// force at each moment (breaker and valve outputs, limiter cap, consumption
// mode, extra load). Parameters change only at recorded changes, kept in a
// compact append-only history, so the registers at a past instant are
// computed again on demand instead of being stored.
//
// Energy is kept in joules (electricity) and in 1/900 dm³ (gas): the model's
// power is constant over each quarter-hour (4 W per Wh of the quarter-hour,
// 1/900 dm³ a second per dm³ of the quarter-hour), so with instants in whole
// seconds every sum is an exact integer and the result does not depend on how
// the time is cut into pieces.

// changeKind says what a change alters.
type changeKind uint8

const (
	chElec  changeKind = iota + 1 // v: breaker output, 1 closed, 0 open
	chGas                         // v: valve output, 1 open, 0 closed
	chCap                         // v: cap on household import in W, -1 none
	chMode                        // v: fixed Wh per day (-1: household), w: fixed dm³ per day
	chLoad                        // v: extra load in W
	chReset                       // the electricity registers restart at 0
)

// change is one entry of the history: at dt seconds after commissioning,
// kind becomes v (16 bytes: every value is bounded well within int32).
type change struct {
	dt   uint32
	kind changeKind
	v, w int32
}

// changeAt returns the instant of change ch, in Unix seconds.
func (m *Meter) changeAt(ch change) int64 { return m.start + int64(ch.dt) }

// params are what the integration depends on, as of a cursor's instant.
type params struct {
	elecOn, gasOn bool
	fixed         bool
	capW          int64 // -1: no cap
	fixedWh       int64
	fixedDm3      int64
	loadW         int64
}

// acc holds the registers in the units of the integration.
type acc struct {
	impDay, impNight, expDay, expNight int64 // J
	gas                                int64 // dm³/900
}

func (a acc) registers() Registers {
	return Registers{
		ImportDay:   a.impDay / 3600,
		ImportNight: a.impNight / 3600,
		ExportDay:   a.expDay / 3600,
		ExportNight: a.expNight / 3600,
		GasDm3:      a.gas / 900,
	}
}

func accOf(r Registers) acc {
	return acc{impDay: r.ImportDay * 3600, impNight: r.ImportNight * 3600,
		expDay: r.ExportDay * 3600, expNight: r.ExportNight * 3600, gas: r.GasDm3 * 900}
}

// cursor is a position of the integration: the registers at instant t and
// the parameters in force, with hi the index of the first change of the
// history not yet applied.
type cursor struct {
	t  int64
	r  acc
	p  params
	hi int
}

func (c *cursor) apply(ch change) {
	switch ch.kind {
	case chElec:
		c.p.elecOn = ch.v != 0
	case chGas:
		c.p.gasOn = ch.v != 0
	case chCap:
		c.p.capW = int64(ch.v)
	case chMode:
		c.p.fixed = ch.v >= 0
		c.p.fixedWh, c.p.fixedDm3 = int64(ch.v), int64(ch.w)
	case chLoad:
		c.p.loadW = int64(ch.v)
	case chReset:
		c.r.impDay, c.r.impNight, c.r.expDay, c.r.expNight = 0, 0, 0, 0
	}
}

// Checkpoints of the frontier are kept at local midnights at least
// checkpointEvery apart, at most maxCheckpoints of them (every other one is
// dropped when full), so that computing a past instant starts close to it;
// the last one floats: it is always the last midnight the frontier passed,
// so that the recent past is cheap.
const (
	checkpointEvery = 7 * 86400
	maxCheckpoints  = 48
)

// initial returns the cursor at commissioning.
func (m *Meter) initial() cursor {
	return cursor{t: m.start, r: m.base, p: params{elecOn: true, gasOn: m.gas != nil, capW: -1, fixedWh: -1}}
}

// rates returns the import and export power (W) and the gas flow (dm³ per
// quarter-hour) in quarter-hour k of day d under parameters p.
func (m *Meter) rates(p *params, d *day, k int) (imp, exp, gas int64) {
	if p.elecOn {
		if p.fixed {
			imp = 4 * fixedSlot(p.fixedWh, k, d.n)
		} else {
			d.household(m)
			if net := d.cons[k] - d.pv[k]; net >= 0 {
				imp = 4 * net
			} else {
				exp = -4 * net
			}
		}
		if p.capW >= 0 && imp > p.capW {
			imp = p.capW
		}
		imp += p.loadW
	}
	if m.gas != nil && p.gasOn {
		if p.fixed {
			gas = fixedSlot(p.fixedDm3, k, d.n)
		} else {
			d.household(m)
			gas = d.gas[k]
		}
	}
	return imp, exp, gas
}

// run moves cursor c forward to instant to. In past mode (derive false) it
// replays the recorded history. In frontier mode (derive true, c is then
// &m.front) the history holds nothing after c, and run derives what happens
// on its own as time passes (limiter trips, the end of an extra load, the end
// of the valve's safety test), recording it in the history.
func (m *Meter) run(c *cursor, d *day, to int64, derive bool) {
	for {
		if derive {
			m.fire()
		} else {
			for c.hi < len(m.hist) && m.changeAt(m.hist[c.hi]) <= c.t {
				c.apply(m.hist[c.hi])
				c.hi++
			}
		}
		if c.t >= to {
			return
		}
		if !d.contains(m, c.t) {
			d.load(m, c.t)
		}
		end := min(to, d.end)
		switch {
		case !derive:
			if c.hi < len(m.hist) && m.changeAt(m.hist[c.hi]) < end {
				end = m.changeAt(m.hist[c.hi])
			}
		case m.live.limiter.Active() && c.p.elecOn:
			// The limiter follows the power quarter-hour by quarter-hour.
			end = min(end, c.t-mod(c.t, slotSec)+slotSec)
			imp, _, _ := m.rates(&c.p, d, int((c.t-d.start)/slotSec))
			end = m.watch(imp, end)
		default:
			m.live.overSince, m.live.overLatched = -1, false
			end = m.deadlines(end)
		}
		m.integrate(c, d, end)
		if derive && c.t == d.end {
			m.checkpoint(c)
		}
	}
}

// integrate moves c to end, within day d, under constant parameters.
func (m *Meter) integrate(c *cursor, d *day, end int64) {
	for c.t < end {
		k := int((c.t - d.start) / slotSec)
		next := min(end, d.start+int64(k+1)*slotSec)
		imp, exp, gas := m.rates(&c.p, d, k)
		dt := next - c.t
		if d.night[k] {
			c.r.impNight += imp * dt
			c.r.expNight += exp * dt
		} else {
			c.r.impDay += imp * dt
			c.r.expDay += exp * dt
		}
		c.r.gas += gas * dt
		c.t = next
	}
}

func mod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}

// checkpoint keeps a copy of the frontier cursor c, at a local midnight.
func (m *Meter) checkpoint(c *cursor) {
	n := len(m.cps)
	if n >= 2 && m.cps[n-1].t-m.cps[n-2].t < checkpointEvery {
		m.cps[n-1] = *c // move the floating checkpoint
		return
	}
	if n == maxCheckpoints {
		kept := m.cps[:0]
		for i := 1; i < len(m.cps); i += 2 {
			kept = append(kept, m.cps[i])
		}
		m.cps = kept
	}
	m.cps = append(m.cps, *c)
}

// advance moves the frontier to now (never back).
func (m *Meter) advance(t int64) {
	if t <= m.front.t {
		return
	}
	var d day
	m.run(&m.front, &d, t, true)
}

// sample sets out[i] to the registers at instant ts[i]; ts is ascending and
// no instant is after the frontier.
func (m *Meter) sample(ts []int64, out []acc) {
	if len(ts) == 0 {
		return
	}
	c := m.initial()
	for i := len(m.cps) - 1; i >= 0; i-- {
		if m.cps[i].t <= ts[0] {
			c = m.cps[i]
			break
		}
	}
	var d day
	for i, t := range ts {
		switch {
		case t < m.start:
			out[i] = m.base
		case t == m.front.t:
			out[i] = m.front.r
		default:
			m.run(&c, &d, t, false)
			out[i] = c.r
		}
	}
}

// record appends a change at the frontier and applies it there. The
// callers bound v and w to int32.
func (m *Meter) record(kind changeKind, v, w int64) {
	ch := change{dt: uint32(m.front.t - m.start), kind: kind, v: int32(v), w: int32(w)}
	m.hist = append(m.hist, ch)
	m.front.apply(ch)
	m.front.hi = len(m.hist)
}
