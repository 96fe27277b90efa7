package dlms_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/openhes/hes/dlms"
)

func TestDataAccessResultAsError(t *testing.T) {
	err := fmt.Errorf("get 1-0:1.8.0.255 attribute 2: %w", dlms.DataAccessReadWriteDenied)
	if !errors.Is(err, dlms.DataAccessReadWriteDenied) {
		t.Error("errors.Is does not find the wrapped result")
	}
	if errors.Is(err, dlms.DataAccessObjectUndefined) {
		t.Error("errors.Is matches another result")
	}
	if errors.Is(err, dlms.ActionReadWriteDenied) {
		t.Error("errors.Is matches the action result of the same number")
	}
	var r dlms.DataAccessResult
	if !errors.As(err, &r) || r != dlms.DataAccessReadWriteDenied {
		t.Errorf("errors.As = %v", r)
	}
	if got, want := err.Error(), "get 1-0:1.8.0.255 attribute 2: data access: read-write-denied"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := dlms.DataAccessResult(77).Error(); got != "data access: data-access-result(77)" {
		t.Errorf("unknown result: %q", got)
	}
}

func TestActionResultAsError(t *testing.T) {
	err := fmt.Errorf("disconnect: %w", dlms.ActionTemporaryFailure)
	var r dlms.ActionResult
	if !errors.As(err, &r) || r != dlms.ActionTemporaryFailure {
		t.Errorf("errors.As = %v", r)
	}
	if !errors.Is(err, dlms.ActionTemporaryFailure) || errors.Is(err, dlms.DataAccessTemporaryFailure) {
		t.Error("errors.Is does not tell action and data-access results apart")
	}
	if got, want := err.Error(), "disconnect: action: temporary-failure"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := dlms.ActionResult(99).String(); got != "action-result(99)" {
		t.Errorf("unknown result: %q", got)
	}
}

func TestExceptionErrorAsError(t *testing.T) {
	sent := &dlms.ExceptionError{State: dlms.StateServiceNotAllowed, Service: dlms.ServiceDecipheringError}
	err := fmt.Errorf("get: %w", sent)
	if !errors.Is(err, &dlms.ExceptionError{State: dlms.StateServiceNotAllowed, Service: dlms.ServiceDecipheringError}) {
		t.Error("errors.Is does not match an equal ExceptionError")
	}
	if errors.Is(err, &dlms.ExceptionError{State: dlms.StateServiceNotAllowed, Service: dlms.ServiceOtherReason}) {
		t.Error("errors.Is matches another service error")
	}
	var e *dlms.ExceptionError
	if !errors.As(err, &e) || e != sent {
		t.Errorf("errors.As = %v", e)
	}
	if got, want := err.Error(), "get: exception response: service-not-allowed, deciphering-error"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestConfirmedServiceErrorAsError(t *testing.T) {
	sent := &dlms.ConfirmedServiceError{Service: 1, Class: 6, Code: 1}
	err := fmt.Errorf("associate: %w", sent)
	if !errors.Is(err, &dlms.ConfirmedServiceError{Service: 1, Class: 6, Code: 1}) {
		t.Error("errors.Is does not match an equal ConfirmedServiceError")
	}
	if errors.Is(err, &dlms.ConfirmedServiceError{Service: 1, Class: 6, Code: 2}) {
		t.Error("errors.Is matches another code")
	}
	var e *dlms.ConfirmedServiceError
	if !errors.As(err, &e) || e != sent {
		t.Errorf("errors.As = %v", e)
	}
	if got, want := err.Error(), "associate: confirmed service error: service 1, initiate error 1"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := (&dlms.ConfirmedServiceError{Service: 5, Class: 42, Code: 3}).Error(); got != "confirmed service error: service 5, class 42 error 3" {
		t.Errorf("unknown class: %q", got)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{dlms.ClassRegister.String(), "Register"},
		{dlms.ClassID(9999).String(), "class 9999"},
		{dlms.DataAccessSuccess.String(), "success"},
		{dlms.StateServiceUnknown.String(), "service-unknown"},
		{dlms.StateError(9).String(), "state-error(9)"},
		{dlms.ServiceInvocationCounterError.String(), "invocation-counter-error"},
		{dlms.ServiceError(9).String(), "service-error(9)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
