package session_test

import (
	"crypto/rand"
	"fmt"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
	"github.com/openhes/hes/dlms/session"
)

// meter is a logical device with one register.
type meter struct{ energy uint32 }

var energyRegister = dlms.MustOBIS("1-0:1.8.0.255")

func (m *meter) Objects() []session.Object {
	return []session.Object{{Class: dlms.ClassRegister, OBIS: energyRegister, Attributes: 3, Methods: 1}}
}

func (m *meter) Exists(class dlms.ClassID, obis dlms.OBIS) bool {
	return class == dlms.ClassRegister && obis == energyRegister
}

func (m *meter) Get(r session.AttributeRequest) (axdr.Data, error) {
	if r.Attribute.Attribute != 2 {
		return axdr.Data{}, dlms.DataAccessReadWriteDenied
	}
	return axdr.Uint32(m.energy), nil
}

func (m *meter) Set(session.AttributeRequest, axdr.Data) error { return dlms.DataAccessReadWriteDenied }

func (m *meter) Action(session.MethodRequest, *axdr.Data) (*axdr.Data, error) {
	return nil, dlms.ActionReadWriteDenied
}

// A client reads a register from a server over an HLS-GMAC association
// with ciphering. The loop is what a driver does with a real link: send
// what the engine returns, feed back what the peer answers.
func Example() {
	keys := security.Keys{
		Encryption:     []byte("0123456789abcdef"),
		Authentication: []byte("fedcba9876543210"),
	}
	server, err := session.NewServer(session.ServerConfig{
		Objects: &meter{energy: 123496},
		Associations: map[uint16]session.AssociationPolicy{
			1: {Mechanism: apdu.MechanismHLSGMAC, Security: &session.SecurityPolicy{
				Policy: security.PolicyAuthenticatedEncrypted, Keys: keys, Counter: security.NewMemoryCounter(1),
			}},
		},
		SystemTitle: []byte("METER001"),
		Rand:        rand.Reader,
	})
	if err != nil {
		panic(err)
	}
	client, err := session.NewClient(session.ClientConfig{
		Mechanism:   apdu.MechanismHLSGMAC,
		Policy:      security.PolicyAuthenticatedEncrypted,
		Keys:        keys,
		SystemTitle: []byte("HES00001"),
		Counter:     security.NewMemoryCounter(1),
		Rand:        rand.Reader,
	})
	if err != nil {
		panic(err)
	}

	exchange := func(req []byte, err error) error {
		for done := false; err == nil && !done; {
			resp, _ := server.Handle(1, req) // the link: send req, receive resp
			req, done, err = client.Receive(resp)
		}
		return err
	}

	if err := exchange(client.Open()); err != nil {
		panic(err)
	}
	fmt.Println("association:", client.State())

	energy := apdu.AttributeDescriptor{ClassID: dlms.ClassRegister, Instance: energyRegister, Attribute: 2}
	if err := exchange(client.Get(energy, nil)); err != nil {
		panic(err)
	}
	v, err := client.Result().Value()
	fmt.Println("energy:", v, err)

	if err := exchange(client.Release()); err != nil {
		panic(err)
	}
	fmt.Println("association:", client.State())
	// Output:
	// association: associated
	// energy: double-long-unsigned 123496 <nil>
	// association: idle
}
