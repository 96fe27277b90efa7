package dlms

import "fmt"

// ClassID is a COSEM interface class id.
type ClassID uint16

// The interface classes the head-end uses.
const (
	ClassData                 ClassID = 1
	ClassRegister             ClassID = 3
	ClassExtendedRegister     ClassID = 4
	ClassDemandRegister       ClassID = 5
	ClassRegisterActivation   ClassID = 6
	ClassProfileGeneric       ClassID = 7
	ClassClock                ClassID = 8
	ClassScriptTable          ClassID = 9
	ClassSchedule             ClassID = 10
	ClassSpecialDaysTable     ClassID = 11
	ClassAssociationSN        ClassID = 12
	ClassAssociationLN        ClassID = 15
	ClassSAPAssignment        ClassID = 17
	ClassImageTransfer        ClassID = 18
	ClassIECLocalPort         ClassID = 19
	ClassActivityCalendar     ClassID = 20
	ClassRegisterMonitor      ClassID = 21
	ClassSingleActionSchedule ClassID = 22
	ClassIECHDLCSetup         ClassID = 23
	ClassTCPUDPSetup          ClassID = 41
	ClassIPv4Setup            ClassID = 42
	ClassPushSetup            ClassID = 40
	ClassSecuritySetup        ClassID = 64
	ClassDisconnectControl    ClassID = 70
	ClassLimiter              ClassID = 71
	ClassMBusClient           ClassID = 72
)

var classNames = map[ClassID]string{
	ClassData: "Data", ClassRegister: "Register", ClassExtendedRegister: "Extended register",
	ClassDemandRegister: "Demand register", ClassRegisterActivation: "Register activation",
	ClassProfileGeneric: "Profile generic", ClassClock: "Clock", ClassScriptTable: "Script table",
	ClassSchedule: "Schedule", ClassSpecialDaysTable: "Special days table",
	ClassAssociationSN: "Association SN", ClassAssociationLN: "Association LN",
	ClassSAPAssignment: "SAP assignment", ClassImageTransfer: "Image transfer",
	ClassIECLocalPort: "IEC local port setup", ClassActivityCalendar: "Activity calendar",
	ClassRegisterMonitor: "Register monitor", ClassSingleActionSchedule: "Single action schedule",
	ClassIECHDLCSetup: "IEC HDLC setup", ClassTCPUDPSetup: "TCP-UDP setup", ClassIPv4Setup: "IPv4 setup",
	ClassPushSetup: "Push setup", ClassSecuritySetup: "Security setup",
	ClassDisconnectControl: "Disconnect control", ClassLimiter: "Limiter", ClassMBusClient: "M-Bus client",
}

// String returns the class name, e.g. "Register", or "class 99" when unknown.
func (c ClassID) String() string {
	if s, ok := classNames[c]; ok {
		return s
	}
	return fmt.Sprintf("class %d", uint16(c))
}

// DataAccessResult is the result of a GET or SET of one attribute
// (IEC 62056-5-3 Data-Access-Result). A non-zero value is an error.
type DataAccessResult uint8

// The data-access results of the standard.
const (
	DataAccessSuccess                 DataAccessResult = 0
	DataAccessHardwareFault           DataAccessResult = 1
	DataAccessTemporaryFailure        DataAccessResult = 2
	DataAccessReadWriteDenied         DataAccessResult = 3
	DataAccessObjectUndefined         DataAccessResult = 4
	DataAccessObjectClassInconsistent DataAccessResult = 9
	DataAccessObjectUnavailable       DataAccessResult = 11
	DataAccessTypeUnmatched           DataAccessResult = 12
	DataAccessScopeOfAccessViolated   DataAccessResult = 13
	DataAccessDataBlockUnavailable    DataAccessResult = 14
	DataAccessLongGetAborted          DataAccessResult = 15
	DataAccessNoLongGetInProgress     DataAccessResult = 16
	DataAccessLongSetAborted          DataAccessResult = 17
	DataAccessNoLongSetInProgress     DataAccessResult = 18
	DataAccessDataBlockNumberInvalid  DataAccessResult = 19
	DataAccessOtherReason             DataAccessResult = 250
)

var dataAccessNames = map[DataAccessResult]string{
	0: "success", 1: "hardware-fault", 2: "temporary-failure", 3: "read-write-denied",
	4: "object-undefined", 9: "object-class-inconsistent", 11: "object-unavailable",
	12: "type-unmatched", 13: "scope-of-access-violated", 14: "data-block-unavailable",
	15: "long-get-aborted", 16: "no-long-get-in-progress", 17: "long-set-aborted",
	18: "no-long-set-in-progress", 19: "data-block-number-invalid", 250: "other-reason",
}

func (r DataAccessResult) String() string {
	if s, ok := dataAccessNames[r]; ok {
		return s
	}
	return fmt.Sprintf("data-access-result(%d)", uint8(r))
}

// Error makes a DataAccessResult usable as an error:
// errors.Is(err, dlms.DataAccessReadWriteDenied) works on wrapped errors.
func (r DataAccessResult) Error() string { return "data access: " + r.String() }

// ActionResult is the result of an ACTION (IEC 62056-5-3 Action-Result).
type ActionResult uint8

// The action results of the standard.
const (
	ActionSuccess                 ActionResult = 0
	ActionHardwareFault           ActionResult = 1
	ActionTemporaryFailure        ActionResult = 2
	ActionReadWriteDenied         ActionResult = 3
	ActionObjectUndefined         ActionResult = 4
	ActionObjectClassInconsistent ActionResult = 9
	ActionObjectUnavailable       ActionResult = 11
	ActionTypeUnmatched           ActionResult = 12
	ActionScopeOfAccessViolated   ActionResult = 13
	ActionDataBlockUnavailable    ActionResult = 14
	ActionLongActionAborted       ActionResult = 15
	ActionNoLongActionInProgress  ActionResult = 16
	ActionOtherReason             ActionResult = 250
)

var actionNames = map[ActionResult]string{
	0: "success", 1: "hardware-fault", 2: "temporary-failure", 3: "read-write-denied",
	4: "object-undefined", 9: "object-class-inconsistent", 11: "object-unavailable",
	12: "type-unmatched", 13: "scope-of-access-violated", 14: "data-block-unavailable",
	15: "long-action-aborted", 16: "no-long-action-in-progress", 250: "other-reason",
}

func (r ActionResult) String() string {
	if s, ok := actionNames[r]; ok {
		return s
	}
	return fmt.Sprintf("action-result(%d)", uint8(r))
}

// Error makes an ActionResult usable as an error.
func (r ActionResult) Error() string { return "action: " + r.String() }

// StateError is the state-error field of an EXCEPTION-response.
type StateError uint8

// State errors.
const (
	StateServiceNotAllowed StateError = 1
	StateServiceUnknown    StateError = 2
)

func (s StateError) String() string {
	switch s {
	case StateServiceNotAllowed:
		return "service-not-allowed"
	case StateServiceUnknown:
		return "service-unknown"
	}
	return fmt.Sprintf("state-error(%d)", uint8(s))
}

// ServiceError is the service-error field of an EXCEPTION-response.
type ServiceError uint8

// Service errors.
const (
	ServiceOperationNotPossible   ServiceError = 1
	ServiceNotSupported           ServiceError = 2
	ServiceOtherReason            ServiceError = 3
	ServicePDUTooLong             ServiceError = 4
	ServiceDecipheringError       ServiceError = 5
	ServiceInvocationCounterError ServiceError = 6
)

func (s ServiceError) String() string {
	switch s {
	case ServiceOperationNotPossible:
		return "operation-not-possible"
	case ServiceNotSupported:
		return "service-not-supported"
	case ServiceOtherReason:
		return "other-reason"
	case ServicePDUTooLong:
		return "pdu-too-long"
	case ServiceDecipheringError:
		return "deciphering-error"
	case ServiceInvocationCounterError:
		return "invocation-counter-error"
	}
	return fmt.Sprintf("service-error(%d)", uint8(s))
}

// ExceptionError is an EXCEPTION-response received from the peer.
type ExceptionError struct {
	State   StateError
	Service ServiceError
}

func (e *ExceptionError) Error() string {
	return fmt.Sprintf("exception response: %s, %s", e.State, e.Service)
}

// Is matches another *ExceptionError with the same state and service
// error, so errors.Is(err, &dlms.ExceptionError{...}) works.
func (e *ExceptionError) Is(target error) bool {
	t, ok := target.(*ExceptionError)
	return ok && *t == *e
}

// ConfirmedServiceError is a ConfirmedServiceError APDU received from the
// peer: the service that failed, and the error class and code of the
// ServiceError CHOICE (e.g. class 6 "initiate", code 1 "dlms-version-too-low").
type ConfirmedServiceError struct {
	Service uint8 // the ConfirmedServiceError CHOICE: 1 initiateError, 5 read, 6 write, ...
	Class   uint8 // the ServiceError CHOICE: 0 application-reference ... 6 initiate ...
	Code    uint8
}

var serviceErrorClasses = []string{
	"application-reference", "hardware-resource", "vde-state-error", "service",
	"definition", "access", "initiate", "load-data-set", "change-scope", "task", "other",
}

// Is matches another *ConfirmedServiceError with the same service, class
// and code, so errors.Is(err, &dlms.ConfirmedServiceError{...}) works.
func (e *ConfirmedServiceError) Is(target error) bool {
	t, ok := target.(*ConfirmedServiceError)
	return ok && *t == *e
}

func (e *ConfirmedServiceError) Error() string {
	class := fmt.Sprintf("class %d", e.Class)
	if int(e.Class) < len(serviceErrorClasses) {
		class = serviceErrorClasses[e.Class]
	}
	return fmt.Sprintf("confirmed service error: service %d, %s error %d", e.Service, class, e.Code)
}
