package prepay

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"
)

// Engine runs the prepayment function on a bbolt file that it shares with
// other packages: it only ever opens its own "prepay/..." buckets. Every
// method that changes something does it in one bbolt transaction, so a
// crash leaves the change whole or absent. An Engine is safe for concurrent
// use.
type Engine struct {
	db  *bolt.DB
	cfg Config
	loc *time.Location
	now func() time.Time
	log zerolog.Logger

	dispatch sync.Mutex // one Dispatch at a time
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock makes the engine read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(e *Engine) { e.now = now }
}

// WithLogger makes the engine log to l (it logs nothing by default).
func WithLogger(l zerolog.Logger) Option {
	return func(e *Engine) { e.log = l }
}

// Open validates cfg, creates the package's buckets in db when missing and
// returns the engine. db stays open and owned by the caller.
func Open(db *bolt.DB, cfg Config, opts ...Option) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("prepay: %w", err)
	}
	e := &Engine{db: db, cfg: cfg, loc: loc, now: time.Now, log: zerolog.Nop()}
	for _, o := range opts {
		o(e)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("prepay: creating bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// Location returns the time zone of the meter's day.
func (e *Engine) Location() *time.Location { return e.loc }

// op is one operation: a write transaction and the instant it happens at.
type op struct {
	e   *Engine
	tx  *bolt.Tx
	now time.Time
}

// update runs fn as one operation in one write transaction.
func (e *Engine) update(fn func(o *op) error) error {
	now := e.now().UTC()
	return e.db.Update(func(tx *bolt.Tx) error {
		return fn(&op{e: e, tx: tx, now: now})
	})
}

// view runs fn in a read transaction.
func (e *Engine) view(fn func(o *op) error) error {
	now := e.now().UTC()
	return e.db.View(func(tx *bolt.Tx) error {
		return fn(&op{e: e, tx: tx, now: now})
	})
}

// account loads an account, refusing an unknown EAN.
func (o *op) account(opName, ean string) (*Account, error) {
	var a Account
	found, err := getJSON(o.tx, bucketAccounts, []byte(ean), &a)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, refused(opName, ErrUnknownAccount, "no account with EAN %s", ean)
	}
	return &a, nil
}

func (o *op) saveAccount(a *Account) error {
	return putJSON(o.tx, bucketAccounts, []byte(a.EAN), a)
}

// historyRecord is an account's state and supply state from an instant on: the
// history that the daily balance statements read.
type historyRecord struct {
	At     time.Time    `json:"at"`
	State  AccountState `json:"state"`
	Supply SupplyState  `json:"supply"`
}

// setSupply changes the supply state and records it in the history.
func (o *op) setSupply(a *Account, s SupplyState) error {
	if a.Supply == s {
		return nil
	}
	o.e.log.Info().Str("ean", a.EAN).Str("from", string(a.Supply)).Str("to", string(s)).Msg("prepay: supply state")
	a.Supply = s
	return o.snapshot(a)
}

// setState changes the account state and records it in the history.
func (o *op) setState(a *Account, s AccountState) error {
	if a.State == s {
		return nil
	}
	o.e.log.Info().Str("ean", a.EAN).Str("from", string(a.State)).Str("to", string(s)).Msg("prepay: account state")
	a.State = s
	return o.snapshot(a)
}

func (o *op) snapshot(a *Account) error {
	seq, err := nextSeq(o.tx, bucketHistory)
	if err != nil {
		return err
	}
	return putJSON(o.tx, bucketHistory, join([]byte(a.EAN), u64(seq)), historyRecord{At: o.now, State: a.State, Supply: a.Supply})
}

// errStop ends a cursor walk early without an error.
var errStop = errors.New("stop")
