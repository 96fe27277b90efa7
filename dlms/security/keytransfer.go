package security

import (
	"errors"
	"fmt"

	"github.com/openhes/hes/dlms/axdr"
)

// KeyID identifies a key in the key transfer methods of Security setup
// (class 64).
type KeyID uint8

// The key ids of Security setup.
const (
	KeyGlobalUnicast   KeyID = 0 // global unicast encryption key
	KeyGlobalBroadcast KeyID = 1 // global broadcast encryption key
	KeyAuthentication  KeyID = 2 // authentication key
	KeyMaster          KeyID = 3 // master key (the key-encrypting key)
)

// String returns the key's name.
func (k KeyID) String() string {
	switch k {
	case KeyGlobalUnicast:
		return "global unicast encryption key"
	case KeyGlobalBroadcast:
		return "global broadcast encryption key"
	case KeyAuthentication:
		return "authentication key"
	case KeyMaster:
		return "master key"
	}
	return fmt.Sprintf("key(%d)", uint8(k))
}

// KeyData is one key to transfer: which key, and its new value (KeySize
// bytes, in clear). Printing it with any fmt verb shows the id, never the
// key.
type KeyData struct {
	ID  KeyID
	Key []byte
}

// Format prints the key data redacted.
func (k KeyData) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "security.KeyData{ID:%v Key:%s}", k.ID, redacted(k.Key))
}

// ErrKeyTransfer means that a global_key_transfer argument is not an array
// of structure { key_id enum, key_wrapped octet-string }, or names a key
// twice or not at all.
var ErrKeyTransfer = errors.New("malformed global_key_transfer argument")

// GlobalKeyTransfer returns the argument of the global_key_transfer method
// of Security setup (class 64, method 2): an array of structure { key_id
// enum, key_wrapped octet-string }, each key wrapped under kek, the
// current master key.
func GlobalKeyTransfer(kek []byte, keys ...KeyData) (axdr.Data, error) {
	if len(keys) == 0 {
		return axdr.Data{}, fmt.Errorf("security: key transfer: %w: no key", ErrKeyTransfer)
	}
	if _, err := newKEK(kek); err != nil {
		return axdr.Data{}, err
	}
	items := make([]axdr.Data, 0, len(keys))
	var seen [KeyMaster + 1]bool
	for _, k := range keys {
		if k.ID > KeyMaster {
			return axdr.Data{}, fmt.Errorf("security: key transfer: %w: key id %d", ErrKey, k.ID)
		}
		if seen[k.ID] {
			return axdr.Data{}, fmt.Errorf("security: key transfer: %w: %v twice", ErrKeyTransfer, k.ID)
		}
		seen[k.ID] = true
		if len(k.Key) != KeySize {
			return axdr.Data{}, fmt.Errorf("security: key transfer: %w: %v of %d bytes, want %d", ErrKey, k.ID, len(k.Key), KeySize)
		}
		w, _ := WrapKey(nil, kek, k.Key) // kek and key lengths are checked
		items = append(items, axdr.Structure(axdr.Enum(uint8(k.ID)), axdr.OctetString(w)))
	}
	return axdr.Array(items...), nil
}

// ParseGlobalKeyTransfer reads a global_key_transfer argument and unwraps
// its keys under kek, the current master key, as the server does before it
// installs them. Errors wrap ErrKeyTransfer, ErrKey or ErrUnwrap.
func ParseGlobalKeyTransfer(kek []byte, arg axdr.Data) ([]KeyData, error) {
	if arg.Tag != axdr.TagArray || len(arg.Items) == 0 {
		return nil, fmt.Errorf("security: key transfer: %w: want a non-empty array, got %v", ErrKeyTransfer, arg.Tag)
	}
	if _, err := newKEK(kek); err != nil {
		return nil, err
	}
	keys := make([]KeyData, 0, len(arg.Items))
	var seen [KeyMaster + 1]bool
	for i, it := range arg.Items {
		if it.Tag != axdr.TagStructure || len(it.Items) != 2 ||
			it.Items[0].Tag != axdr.TagEnum || it.Items[1].Tag != axdr.TagOctetString {
			return nil, fmt.Errorf("security: key transfer: %w: element %d is not structure { enum, octet-string }", ErrKeyTransfer, i)
		}
		id := KeyID(it.Items[0].Uint)
		if it.Items[0].Uint > uint64(KeyMaster) {
			return nil, fmt.Errorf("security: key transfer: %w: element %d: key id %d", ErrKey, i, it.Items[0].Uint)
		}
		if seen[id] {
			return nil, fmt.Errorf("security: key transfer: %w: %v twice", ErrKeyTransfer, id)
		}
		seen[id] = true
		if n := len(it.Items[1].Bytes); n != KeySize+8 {
			return nil, fmt.Errorf("security: key transfer: %w: element %d: wrapped %v of %d bytes, want %d", ErrKey, i, id, n, KeySize+8)
		}
		key, err := UnwrapKey(nil, kek, it.Items[1].Bytes)
		if err != nil { // kek and data lengths are checked: the integrity check failed
			return nil, fmt.Errorf("security: key transfer: element %d (%v): %w", i, id, ErrUnwrap)
		}
		keys = append(keys, KeyData{ID: id, Key: key})
	}
	return keys, nil
}
