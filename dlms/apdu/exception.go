package apdu

import (
	"fmt"

	"github.com/openhes/hes/dlms"
)

// ExceptionResponse is the EXCEPTION-Response by which a server refuses an
// APDU it cannot process.
type ExceptionResponse struct {
	StateError   dlms.StateError
	ServiceError dlms.ServiceError
	// InvocationCounter is the server's expected invocation counter, sent
	// with dlms.ServiceInvocationCounterError only.
	InvocationCounter uint32
}

// Tag implements APDU.
func (*ExceptionResponse) Tag() Tag { return TagExceptionResponse }

// Name implements APDU.
func (*ExceptionResponse) Name() string { return "exception-response" }

// Append implements APDU.
func (e *ExceptionResponse) Append(dst []byte) []byte {
	dst = append(dst, byte(TagExceptionResponse), byte(e.StateError), byte(e.ServiceError))
	if e.ServiceError == dlms.ServiceInvocationCounterError {
		dst = appendU32(dst, e.InvocationCounter)
	}
	return dst
}

// Fields implements APDU.
func (e *ExceptionResponse) Fields() []Field {
	f := []Field{
		field("state-error", fmt.Sprintf("%d (%v)", e.StateError, e.StateError)),
		field("service-error", fmt.Sprintf("%d (%v)", e.ServiceError, e.ServiceError)),
	}
	if e.ServiceError == dlms.ServiceInvocationCounterError {
		f = append(f, uintField("invocation-counter", uint64(e.InvocationCounter)))
	}
	return f
}

// Err returns the exception as a *dlms.ExceptionError.
func (e *ExceptionResponse) Err() error {
	return &dlms.ExceptionError{State: e.StateError, Service: e.ServiceError}
}

func decodeExceptionResponse(b []byte) (*ExceptionResponse, int, error) {
	d := decoder{b: b, name: "exception-response"}
	d.checkTag(TagExceptionResponse)
	e := &ExceptionResponse{
		StateError:   dlms.StateError(d.u8("state-error")),
		ServiceError: dlms.ServiceError(d.u8("service-error")),
	}
	if e.ServiceError == dlms.ServiceInvocationCounterError {
		e.InvocationCounter = d.u32("invocation-counter")
	}
	return finish(&d, e)
}
