package meter

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
)

// Config is how a Client opens its association with a meter.
type Config struct {
	// Auth is the authentication mechanism: MechanismNone, MechanismLLS
	// or MechanismHLSGMAC.
	Auth AuthMechanism
	// Password is the LLS password.
	Password Secret

	// Policy is the protection of the APDUs: security.PolicyNone (the
	// zero value) ciphers nothing.
	Policy security.Policy
	// Keys are the global encryption and authentication keys, for HLS-GMAC
	// and ciphering.
	Keys security.Keys
	// SystemTitle is the head-end's system title (8 bytes), needed by
	// HLS-GMAC and ciphering.
	SystemTitle []byte
	// ServerSystemTitle is the meter's system title when it is known; the
	// association then fails if the meter answers with another one. When
	// nil it is learned from the AARE.
	ServerSystemTitle []byte
	// Counter reserves the invocation counters of the APDUs the client
	// ciphers: the store's SendCounter, or a security.MemoryCounter started
	// above the meter's invocation counter (ReadInvocationCounter).
	Counter security.CounterReserver
	// ReplayGuard checks the meter's invocation counters; nil starts a new
	// one for this association.
	ReplayGuard *security.ReplayGuard
	// DedicatedKey ciphers the association with a dedicated key drawn for
	// it; it needs an encrypting policy.
	DedicatedKey bool
	// GeneralCiphering ciphers with general-glo- (general-ded-) ciphering
	// instead of the service-specific APDUs.
	GeneralCiphering bool

	// MaxPDU is the client-max-receive-pdu-size proposed; 0 for 65535.
	MaxPDU uint16
	// Conformance is the conformance block proposed; 0 for
	// session.DefaultConformance.
	Conformance apdu.Conformance
	// FixedInvokeID sends every request with invoke id 1, for meters that
	// answer with a fixed invoke id.
	FixedInvokeID bool
	// Rand is the source of the HLS challenge and the dedicated keys;
	// crypto/rand when nil.
	Rand io.Reader

	// Location is the meter's time zone: date-times that the meter sends
	// without a deviation are read in it, and SetTime writes the meter's
	// local time in it. Europe/Brussels when nil.
	Location *time.Location
	// Logger receives a debug event per service call; the zero Logger logs
	// nothing. It never sees a key or the password.
	Logger zerolog.Logger
}

// session returns the configuration of the session engine.
func (cfg *Config) session() session.ClientConfig {
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	return session.ClientConfig{
		Mechanism:         apdu.Mechanism(cfg.Auth),
		Password:          cfg.Password.Bytes(),
		Policy:            cfg.Policy,
		Keys:              cfg.Keys,
		SystemTitle:       cfg.SystemTitle,
		ServerSystemTitle: cfg.ServerSystemTitle,
		Counter:           cfg.Counter,
		ReplayGuard:       cfg.ReplayGuard,
		DedicatedKey:      cfg.DedicatedKey,
		GeneralCiphering:  cfg.GeneralCiphering,
		Rand:              r,
		Conformance:       cfg.Conformance,
		MaxPDU:            cfg.MaxPDU,
		FixedInvokeID:     cfg.FixedInvokeID,
	}
}

// Errors of the Client, each usable with errors.Is. The meter's own
// answers are the types of the dlms package, wrapped in an *OpError:
// errors.Is(err, dlms.DataAccessReadWriteDenied), errors.As(err,
// new(*dlms.ExceptionError)); a rejected association is an
// *apdu.AssociationError, a failed authentication wraps
// security.ErrAuthentication, a link failure is the link's error.
var (
	// ErrClosed is returned by a Client used after Close, or after its
	// link failed (the error then wraps the link's failure as well).
	ErrClosed = errors.New("meter client closed")
	// ErrValue means that the meter answered with a value that the
	// interface class does not allow where it was read: a wrong type, a
	// structure of the wrong size, a date-time that is not one.
	ErrValue = errors.New("unexpected value")
)

// OpError is the error of a step of a Client: which step, on which object,
// and why. Err is the cause: a dlms result, a session or security error,
// a link error, ErrValue.
type OpError struct {
	Op     string       // "associate", "release", "close", "get", "set", "action", "get-list"
	Class  dlms.ClassID // the object's class; 0 when the step is not about one object
	OBIS   dlms.OBIS
	Member int8 // the attribute (get, set) or method (action); 0 when not about one
	Err    error
}

// Error says what failed and why, e.g. "get 1-0:1.8.0.255 attr 2: data
// access: read-write-denied".
func (e *OpError) Error() string {
	switch {
	case e.Class == 0:
		return e.Op + ": " + e.Err.Error()
	case e.Member == 0:
		return e.Op + " " + e.OBIS.String() + ": " + e.Err.Error()
	}
	kind := " attr "
	if e.Op == "action" {
		kind = " method "
	}
	return e.Op + " " + e.OBIS.String() + kind + strconv.Itoa(int(e.Member)) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// attrError wraps err as the failure of op on attribute a.
func attrError(op string, a apdu.AttributeDescriptor, err error) error {
	return &OpError{Op: op, Class: a.ClassID, OBIS: a.Instance, Member: a.Attribute, Err: err}
}

// maxDiscarded bounds the APDUs a call skips (late answers, pushes)
// while it waits for its own answer.
const maxDiscarded = 8

// Client runs one association with a meter over a Link and reads, writes
// and invokes its COSEM objects. The helpers of the class files (clock.go,
// register.go, ...) turn the attributes into Go values.
//
// A Client makes one call at a time: concurrent calls wait for each other.
// After a link failure (a time-out, a cancelled context) the association is
// lost and every later call fails with ErrClosed; Close still closes the
// link.
type Client struct {
	mu     sync.Mutex
	link   Link
	sc     *session.Client
	loc    *time.Location
	log    zerolog.Logger
	broken error // the link failure that ended the association
	closed bool
}

// Connect opens an association over link: the AARQ and the AARE, and the
// HLS passes 3 and 4 with HLS-GMAC. link must be connected. On error the
// link is left open, so that the caller may try again (some meters refuse
// an association until it is retried) or close it; the error is an
// *OpError of step "associate".
func Connect(ctx context.Context, link Link, cfg Config) (*Client, error) {
	sc, err := session.NewClient(cfg.session())
	if err != nil {
		return nil, &OpError{Op: "associate", Err: err}
	}
	loc := cfg.Location
	if loc == nil {
		if loc, err = time.LoadLocation("Europe/Brussels"); err != nil {
			return nil, &OpError{Op: "associate", Err: err}
		}
	}
	c := &Client{link: link, sc: sc, loc: loc, log: cfg.Logger}
	req, err := sc.Open()
	if err == nil {
		err = c.run(ctx, req)
	}
	if err != nil {
		return nil, &OpError{Op: "associate", Err: err}
	}
	n := sc.Negotiated()
	c.log.Debug().Str("auth", cfg.Auth.String()).Str("policy", cfg.Policy.String()).
		Str("conformance", n.Conformance.String()).Int("max_pdu", n.MaxPDU).Msg("meter: associated")
	return c, nil
}

// Negotiated returns what the association agreed on: the conformance
// block, the maximum PDU size, the meter's system title.
func (c *Client) Negotiated() session.Negotiated {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sc.Negotiated()
}

// Location returns the meter's time zone (Config.Location).
func (c *Client) Location() *time.Location { return c.loc }

// Close releases the association (RLRQ/RLRE; a meter that answers the
// release with an exception response is released all the same) and closes
// the link, even when the release fails. Closing a closed Client does
// nothing.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	var errs []error
	if c.broken == nil && c.sc.State() == session.StateAssociated {
		req, err := c.sc.Release()
		if err == nil {
			err = c.run(ctx, req)
		}
		if err != nil {
			errs = append(errs, &OpError{Op: "release", Err: err})
		}
	}
	c.sc.Reset()
	if err := c.link.Close(); err != nil {
		errs = append(errs, &OpError{Op: "close", Err: err})
	}
	return errors.Join(errs...)
}

// Get reads one attribute of an object.
func (c *Client) Get(ctx context.Context, class dlms.ClassID, obis dlms.OBIS, attr int8) (axdr.Data, error) {
	return c.GetWithAccess(ctx, class, obis, attr, nil)
}

// GetWithAccess reads one attribute with selective access (see
// apdu.Range and apdu.Entry for a profile's buffer); access nil reads the
// whole attribute.
func (c *Client) GetWithAccess(ctx context.Context, class dlms.ClassID, obis dlms.OBIS, attr int8, access *apdu.SelectiveAccess) (axdr.Data, error) {
	a := apdu.AttributeDescriptor{ClassID: class, Instance: obis, Attribute: attr}
	res, err := c.call(ctx, "get", func() ([]byte, error) { return c.sc.Get(a, access) })
	var v axdr.Data
	if err == nil {
		v, err = res.Value()
	}
	if err != nil {
		return axdr.Data{}, attrError("get", a, err)
	}
	return v, nil
}

// GetList reads several attributes in one request (the association must
// have negotiated multiple references; see HasListServices). values[i] and
// errs[i] answer attrs[i]; each errs[i] is nil or an *OpError. err is the
// failure of the request as a whole.
func (c *Client) GetList(ctx context.Context, attrs []apdu.AttributeWithSelection) (values []axdr.Data, errs []error, err error) {
	res, err := c.call(ctx, "get-list", func() ([]byte, error) { return c.sc.GetList(attrs) })
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return nil, nil, &OpError{Op: "get-list", Err: err}
	}
	if len(res.Values) != len(attrs) || len(res.Errs) != len(attrs) {
		return nil, nil, &OpError{Op: "get-list", Err: fmt.Errorf("%w: %d results for %d attributes", session.ErrUnexpected, len(res.Values), len(attrs))}
	}
	errs = make([]error, len(attrs))
	for i, e := range res.Errs {
		if e != nil {
			errs[i] = attrError("get", attrs[i].Attribute, e)
		}
	}
	return res.Values, errs, nil
}

// Set writes one attribute of an object.
func (c *Client) Set(ctx context.Context, class dlms.ClassID, obis dlms.OBIS, attr int8, v axdr.Data) error {
	a := apdu.AttributeDescriptor{ClassID: class, Instance: obis, Attribute: attr}
	res, err := c.call(ctx, "set", func() ([]byte, error) { return c.sc.Set(a, v) })
	if err == nil {
		_, err = res.Value()
	}
	if err != nil {
		return attrError("set", a, err)
	}
	return nil
}

// Action invokes a method of an object with its parameter (nil for none)
// and returns what the method returned (null-data for nothing).
func (c *Client) Action(ctx context.Context, class dlms.ClassID, obis dlms.OBIS, method int8, param *axdr.Data) (axdr.Data, error) {
	m := apdu.MethodDescriptor{ClassID: class, Instance: obis, Method: method}
	res, err := c.call(ctx, "action", func() ([]byte, error) { return c.sc.Action(m, param) })
	var v axdr.Data
	if err == nil {
		v, err = res.Value()
	}
	if err != nil {
		return axdr.Data{}, &OpError{Op: "action", Class: class, OBIS: obis, Member: method, Err: err}
	}
	return v, nil
}

// HasListServices reports whether the association negotiated the
// with-list services (multiple references), which GetList needs.
func (c *Client) HasListServices() bool {
	return c.Negotiated().Conformance&apdu.ConformanceMultipleReferences != 0
}

// getAttrs reads several attributes of one object: in one request when
// the association has the with-list services, else one by one. The first
// attribute that fails fails the read.
func (c *Client) getAttrs(ctx context.Context, class dlms.ClassID, obis dlms.OBIS, attrs ...int8) ([]axdr.Data, error) {
	if len(attrs) > 1 && c.HasListServices() {
		list := make([]apdu.AttributeWithSelection, len(attrs))
		for i, a := range attrs {
			list[i].Attribute = apdu.AttributeDescriptor{ClassID: class, Instance: obis, Attribute: a}
		}
		values, errs, err := c.GetList(ctx, list)
		if err != nil {
			return nil, &OpError{Op: "get-list", Class: class, OBIS: obis, Err: errors.Unwrap(err)}
		}
		if err := firstError(errs); err != nil {
			return nil, err
		}
		return values, nil
	}
	values := make([]axdr.Data, len(attrs))
	for i, a := range attrs {
		v, err := c.Get(ctx, class, obis, a)
		if err != nil {
			return nil, err
		}
		values[i] = v
	}
	return values, nil
}

// firstError returns the first error of errs that is not nil.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// getAs reads one attribute and converts it with conv; a conversion
// failure is reported, like a failed read, as an *OpError on the
// attribute.
func getAs[T any](ctx context.Context, c *Client, class dlms.ClassID, obis dlms.OBIS, attr int8, conv func(axdr.Data) (T, error)) (T, error) {
	v, err := c.Get(ctx, class, obis, attr)
	if err != nil {
		var zero T
		return zero, err
	}
	t, err := conv(v)
	if err != nil {
		return t, badValue(class, obis, attr, err)
	}
	return t, nil
}

// badValue reports a value read from attribute attr that conversion
// refused.
func badValue(class dlms.ClassID, obis dlms.OBIS, attr int8, err error) error {
	return &OpError{Op: "get", Class: class, OBIS: obis, Member: attr, Err: err}
}

// call runs one service call: start returns its first request.
func (c *Client) call(ctx context.Context, op string, start func() ([]byte, error)) (session.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return session.Result{}, ErrClosed
	case c.broken != nil:
		return session.Result{}, fmt.Errorf("%w after a link failure: %w", ErrClosed, c.broken)
	}
	t := time.Now()
	req, err := start()
	if err == nil {
		err = c.run(ctx, req)
	}
	if err != nil {
		c.log.Debug().Str("op", op).Dur("took", time.Since(t)).Err(err).Msg("meter: call failed")
		return session.Result{}, err
	}
	res := c.sc.Result()
	c.log.Debug().Str("op", op).Dur("took", time.Since(t)).AnErr("result", res.FirstError()).Msg("meter: call")
	return res, nil
}

// run sends req and whatever the session asks to send next, until the
// step in progress is done, and returns the step's error. A link failure
// ends the association.
func (c *Client) run(ctx context.Context, req []byte) error {
	discarded := 0
	for {
		resp, err := c.link.Exchange(ctx, req)
		for {
			if err != nil {
				c.sc.Reset()
				c.broken = err
				return err
			}
			// The session may keep slices of the answer: it must not
			// share the link's buffer.
			out, done, rerr := c.sc.Receive(bytes.Clone(resp))
			if done {
				return rerr
			}
			if out != nil {
				req = out
				break
			}
			// The APDU was discarded (a late answer, a push): wait for
			// the answer, if the link can.
			if rerr == nil {
				rerr = session.ErrUnexpected
			}
			discarded++
			c.log.Debug().Err(rerr).Int("discarded", discarded).Msg("meter: APDU discarded")
			r, ok := c.link.(Receiver)
			if !ok || discarded > maxDiscarded {
				err = fmt.Errorf("no answer but discarded APDUs: %w", rerr)
				continue
			}
			resp, err = r.Receive(ctx)
		}
	}
}
