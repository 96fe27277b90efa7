package sim

import (
	"fmt"
	"math/bits"
	"time"
)

// Shape is the daily pattern of a household's electricity use.
type Shape uint8

// The household shapes. Each has a weekday and a weekend profile of hourly
// weights (see hourWeights).
const (
	Commuters    Shape = iota // out on weekdays: a morning and an evening peak
	AtHome                    // someone at home all day
	NightHeating              // storage heating or a boiler on the night tariff
	numShapes
)

func (s Shape) String() string {
	switch s {
	case Commuters:
		return "commuters"
	case AtHome:
		return "at-home"
	case NightHeating:
		return "night-heating"
	}
	return fmt.Sprintf("Shape(%d)", uint8(s))
}

// Household holds what drives a meter's consumption model. Together with the
// meter's seed it determines every quarter-hour of consumption.
type Household struct {
	Shape        Shape
	AnnualWh     int64 // electricity used over an average year, before PV
	PVPeakW      int64 // peak power of the PV installation; 0 means none
	GasAnnualDm3 int64 // gas used over an average year, in dm³
}

// NewHousehold derives a household from a seed: a shape, an annual use
// between 2,000 and 5,000 kWh (3,500 kWh on average, a typical Belgian
// household), gas between 800 and 1,800 m³ a year, and, when pv is true, a PV
// installation of 2.5 to 8 kWp.
func NewHousehold(seed uint64, pv bool) Household {
	h := Household{
		Shape:        Shape(hash(seed, tagHousehold, 0) % uint64(numShapes)),
		AnnualWh:     2_000_000 + int64(hash(seed, tagHousehold, 1)%3_000_001),
		GasAnnualDm3: 800_000 + int64(hash(seed, tagHousehold, 2)%1_000_001),
	}
	if pv {
		h.PVPeakW = 2500 + int64(hash(seed, tagHousehold, 3)%5501)
	}
	return h
}

// maxAnnual bounds the annual figures so that the integer arithmetic of the
// model cannot overflow.
const maxAnnual = 1_000_000_000

func (h Household) validate() error {
	if h.Shape >= numShapes {
		return fmt.Errorf("household shape %d unknown", h.Shape)
	}
	for _, v := range []int64{h.AnnualWh, h.PVPeakW, h.GasAnnualDm3} {
		if v < 0 || v > maxAnnual {
			return fmt.Errorf("household figure %d out of range [0, %d]", v, int64(maxAnnual))
		}
	}
	return nil
}

// Hash tags keep the pseudo-random streams of the model apart.
const (
	tagHousehold = iota + 1
	tagDay
	tagSlot
	tagPV
	tagGasDay
	tagGasSlot
	tagBase
	tagFleet
	tagFault
	tagPush
)

// mix is the splitmix64 finaliser: a bijective, well-spread 64-bit mix.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash returns the n-th value of the stream tag of seed.
func hash(seed, tag uint64, n int64) uint64 {
	return mix(seed ^ mix(tag*0x9e3779b97f4a7c15^uint64(n)))
}

// Seasonal factors per month (January first), in thousandths; each table
// averages 1000 over the year.
var (
	elecMonth = [12]int64{1230, 1160, 1060, 960, 880, 830, 800, 820, 900, 1020, 1130, 1210}
	gasMonth  = [12]int64{2000, 1700, 1400, 900, 500, 300, 250, 250, 450, 900, 1450, 1900}
	// pvYield is the energy of 1 kWp on a day of average weather, in Wh.
	pvYield = [12]int64{1000, 1700, 2900, 4300, 5000, 5400, 5200, 4500, 3400, 2100, 1100, 800}
	// pvWindow is the producing part of the day, in UTC minutes from
	// midnight, on quarter-hours (Brussels, middle of each month).
	pvWindow = [12][2]int64{
		{8 * 60, 15 * 60}, {7 * 60, 16*60 + 30}, {6 * 60, 17*60 + 30}, {5 * 60, 18*60 + 15},
		{4*60 + 15, 19 * 60}, {3*60 + 45, 19*60 + 45}, {4 * 60, 19*60 + 30}, {4*60 + 45, 18*60 + 45},
		{5*60 + 30, 17*60 + 30}, {6*60 + 15, 16*60 + 30}, {7 * 60, 15*60 + 30}, {7*60 + 45, 15 * 60},
	}
)

// Weekday and weekend factors, in thousandths: (5×970 + 2×1075)/7 = 1000.
const (
	weekdayFactor = 970
	weekendFactor = 1075
)

// hourWeights gives, per shape, the relative power of each local hour on a
// weekday ([0]) and at the weekend ([1]).
var hourWeights = [numShapes][2][24]int64{
	Commuters: {
		{30, 25, 22, 22, 22, 25, 45, 80, 55, 30, 28, 28, 32, 30, 28, 30, 40, 70, 100, 110, 95, 80, 60, 40},
		{35, 28, 24, 22, 22, 22, 25, 35, 60, 75, 80, 85, 90, 80, 70, 65, 70, 85, 100, 105, 95, 80, 60, 45},
	},
	AtHome: {
		{28, 24, 22, 22, 22, 24, 35, 60, 75, 75, 78, 85, 95, 80, 70, 68, 72, 85, 100, 100, 90, 75, 55, 38},
		{30, 25, 22, 22, 22, 22, 28, 45, 70, 80, 82, 88, 98, 85, 72, 70, 75, 88, 100, 100, 92, 78, 58, 40},
	},
	NightHeating: {
		{140, 150, 150, 150, 145, 120, 70, 60, 40, 30, 28, 28, 32, 30, 28, 30, 38, 60, 85, 90, 80, 70, 110, 135},
		{140, 150, 150, 150, 145, 120, 80, 65, 60, 60, 62, 65, 70, 62, 55, 55, 60, 75, 90, 92, 85, 75, 110, 135},
	},
}

// gasHour is the relative gas flow of each local hour: heating and hot water.
var gasHour = [24]int64{30, 25, 25, 25, 30, 60, 120, 140, 110, 80, 70, 65, 65, 60, 60, 65, 80, 110, 130, 125, 110, 90, 60, 40}

const (
	slotSec  = 900 // a quarter-hour, the resolution of the consumption model
	maxSlots = 104 // quarter-hours in the longest local day handled (26 h)
)

// day is one local day of a meter's model: its bounds, the band and hour of
// each quarter-hour, and, computed on first use, the household's energy per
// quarter-hour. It lives on the stack of a computation, never in a Meter.
type day struct {
	start, end int64 // Unix seconds of the local midnights
	n          int   // quarter-hours in the day (92, 96 or 100 in Brussels)
	num        int64 // civil day number (days since 1970-01-01)
	month      int   // 0 = January
	weekend    bool
	night      [maxSlots]bool
	hour       [maxSlots]uint8
	ready      bool            // cons, pv and gas are computed
	cons, pv   [maxSlots]int64 // Wh per quarter-hour
	gas        [maxSlots]int64 // dm³ per quarter-hour
	valid      bool            // the day is loaded
	owner      *Meter          // the meter the day was loaded for
}

// contains reports whether the day is loaded for m and holds instant t.
func (d *day) contains(m *Meter, t int64) bool {
	return d.valid && d.owner == m && t >= d.start && t < d.end
}

// load makes d the local day of m that holds instant t.
func (d *day) load(m *Meter, t int64) {
	lt := time.Unix(t, 0).In(m.loc)
	y, mo, dd := lt.Date()
	s := time.Date(y, mo, dd, 0, 0, 0, 0, m.loc)
	e := time.Date(y, mo, dd+1, 0, 0, 0, 0, m.loc)
	d.start, d.end = s.Unix(), e.Unix()
	d.n = int((d.end - d.start) / slotSec)
	if d.n > maxSlots {
		d.n = maxSlots
		d.end = d.start + maxSlots*slotSec
	}
	d.num = time.Date(y, mo, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400
	d.month = int(mo) - 1
	wd := s.Weekday()
	d.weekend = wd == time.Saturday || wd == time.Sunday
	_, off0 := s.Zone()
	_, offEnd := time.Unix(d.end-1, 0).In(m.loc).Zone()
	uniform := d.end-d.start == 86400 && offEnd == off0
	for k := 0; k < d.n; k++ {
		wall := int64(k) * slotSec
		if !uniform {
			_, off := time.Unix(d.start+wall, 0).In(m.loc).Zone()
			wall += int64(off - off0)
		}
		h := wall / 3600
		if h > 23 {
			h = 23
		}
		d.hour[k] = uint8(h)
		d.night[k] = m.bands.nightAt(wd, time.Duration(wall)*time.Second)
	}
	d.ready = false
	d.valid = true
	d.owner = m
}

// household computes the household's energy per quarter-hour for the day:
// electricity use, PV production and gas use. Each daily total is drawn from
// the seed and the season, then spread over the quarter-hours by the shape's
// hourly weights, each perturbed by the seed, so that the quarter-hours add up
// to the daily total exactly.
func (d *day) household(m *Meter) {
	if d.ready {
		return
	}
	h := &m.house
	var w [maxSlots]int64
	n := d.n
	slot0 := d.start / slotSec

	we, dow := 0, int64(weekdayFactor)
	if d.weekend {
		we, dow = 1, weekendFactor
	}
	noise := 850 + draw(hash(m.seed, tagDay, d.num), 301)
	total := h.AnnualWh * elecMonth[d.month] / 1000 * dow / 1000 * noise / 1000 / 365
	hw := &hourWeights[h.Shape][we]
	slotNoise(w[:n], m.seed, tagSlot, slot0)
	for k := 0; k < n; k++ {
		w[k] *= hw[d.hour[k]]
	}
	spread(total, w[:n], d.cons[:n])

	clear(d.pv[:n])
	if h.PVPeakW > 0 {
		weather := 300 + draw(hash(m.seed, tagPV, d.num), 1001)
		yield := h.PVPeakW * pvYield[d.month] / 1000 * weather / 1000
		win := pvWindow[d.month]
		first, last := -1, -1
		for k := 0; k < n; k++ {
			tod := (d.start + int64(k)*slotSec) % 86400 / 60
			if tod >= win[0] && tod < win[1] {
				if first < 0 {
					first = k
				}
				last = k
			}
		}
		if first >= 0 {
			l := int64(last - first + 1)
			for j := int64(0); j < l; j++ {
				w[j] = (2*j + 1) * (2*(l-j) - 1) // a parabola over the window
			}
			spread(yield, w[:l], d.pv[first:last+1])
		}
	}

	if m.gas != nil {
		gnoise := 800 + draw(hash(m.seed, tagGasDay, d.num), 401)
		gtotal := h.GasAnnualDm3 * gasMonth[d.month] / 1000 * gnoise / 1000 / 365
		slotNoise(w[:n], m.seed, tagGasSlot, slot0)
		for k := 0; k < n; k++ {
			w[k] *= gasHour[d.hour[k]]
		}
		spread(gtotal, w[:n], d.gas[:n])
	}
	d.ready = true
}

// draw maps a hash to [0, n) by its high 32 bits (multiply and shift, no
// division).
func draw(h uint64, n int64) int64 {
	return int64((h >> 32) * uint64(n) >> 32)
}

// slotNoise sets out[k] to a factor in [800, 1200] for quarter-hour s0+k
// (quarter-hours numbered from the epoch): one hash serves the four
// quarter-hours of an hour, 16 bits each.
func slotNoise(out []int64, seed, tag uint64, s0 int64) {
	var h uint64
	for k := range out {
		s := s0 + int64(k)
		if k == 0 || s&3 == 0 {
			h = hash(seed, tag, s>>2)
		}
		out[k] = 800 + int64((h>>(16*uint(s&3))&0xFFFF)*401>>16)
	}
}

// spread distributes total over out in proportion to the weights w, with
// integer parts that add up to total exactly.
func spread(total int64, w, out []int64) {
	var sum int64
	for _, v := range w {
		sum += v
	}
	if sum == 0 {
		clear(out)
		return
	}
	// total*cum/sum for each prefix, dividing by multiplying with the
	// reciprocal of sum: the estimate is at most two below the quotient.
	d := uint64(sum)
	inv := ^uint64(0) / d
	var cum, prev uint64
	for i, v := range w {
		cum += uint64(v)
		x := uint64(total) * cum
		q, _ := bits.Mul64(x, inv)
		for x-q*d >= d {
			q++
		}
		out[i] = int64(q - prev)
		prev = q
	}
}

// fixedSlot is quarter-hour k's share of perDay spread evenly over n
// quarter-hours; the shares add up to perDay.
func fixedSlot(perDay int64, k, n int) int64 {
	return perDay*int64(k+1)/int64(n) - perDay*int64(k)/int64(n)
}
