// Package prepay runs the prepayment function of the head-end: accounts,
// tariffs, an append-only ledger in integer cents, the daily settlement,
// recharges and agent adjustments, the credit rules and the supply
// decisions, the non-disconnection calendar, and the notification outbox.
// The rules and every interpretation are documented in docs/prepayment.md.
//
// The package never talks to a meter. It declares the ports it needs:
// Readings (the daily index registers) and Meters (show the balance,
// disconnect, arm reconnection, set or clear the power limiter); the meter
// package satisfies them. Decisions are recorded before anything is sent:
//
//	Settle (or Recharge, Adjust …)  one bbolt transaction: ledger entries,
//	                                account, notifications, meter actions
//	Next → Recheck → port → Complete  each action is checked against the
//	                                ledger right before it leaves, and its
//	                                confirmed outcome changes the supply
//
// Dispatch drives the port synchronously; a head-end with its own command
// queue calls Next, Recheck and Complete itself. Cycle runs a whole daily
// cycle.
//
// All state lives in buckets named "prepay/..." of a bbolt file that other
// packages share. Every change is one transaction, every request that can
// be repeated (a reading, a recharge, a meter outcome) is idempotent, and
// every notification is written exactly once, in the transaction of the
// change that causes it.
//
// Time comes from an injected clock (WithClock) and is stored in UTC; the
// meter's day and the non-disconnection periods are local days of
// Config.TimeZone (Europe/Brussels).
package prepay
