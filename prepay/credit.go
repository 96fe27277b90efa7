package prepay

// CreditState is derived from the balance b and the account's low-credit
// threshold t, with E the emergency credit (Config.EmergencyCredit):
//
//	b ≥ t       NORMAL
//	0 ≤ b < t   LOW
//	−E < b < 0  EMERGENCY
//	b ≤ −E      EXHAUSTED
type CreditState string

// The credit states, from the best to the worst.
const (
	Normal    CreditState = "NORMAL"
	Low       CreditState = "LOW"
	Emergency CreditState = "EMERGENCY"
	Exhausted CreditState = "EXHAUSTED"
)

// severity orders the credit states: a crossing to a higher severity is
// notified.
func (c CreditState) severity() int {
	switch c {
	case Low:
		return 1
	case Emergency:
		return 2
	case Exhausted:
		return 3
	}
	return 0
}

// creditState derives the credit state of balance b.
func creditState(b, threshold, emergency Cents) CreditState {
	switch {
	case b <= -emergency:
		return Exhausted
	case b < 0:
		return Emergency
	case b < threshold:
		return Low
	}
	return Normal
}

// emergencyLeft is the emergency credit shown on the meter:
// max(0, E + min(b, 0)).
func emergencyLeft(b, emergency Cents) Cents {
	return max(0, emergency+min(b, 0))
}
