package security

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
)

// NewGCM returns AES-GCM with the given tag size (12 for DLMS suite 0, 16
// for general use) under key (16, 24 or 32 bytes).
//
// It uses the standard library's portable GCM construction over the AES
// block cipher (which still uses the processor's AES instructions), not its
// fused assembly: on some virtualised AMD EPYC hosts that assembly
// (PCLMULQDQ path) was seen to overwrite memory next to its output, the
// pattern of TestNewGCMLeavesNeighboursAlone shows there with a plain
// cipher.NewGCMWithTagSize. Every AES-GCM of hes goes through this function.
func NewGCM(key []byte, tagSize int) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("security: %w: AES key of %d bytes", ErrKey, len(key))
	}
	// Hiding the concrete type of the block makes crypto/cipher take its
	// portable implementation.
	aead, err := cipher.NewGCMWithTagSize(struct{ cipher.Block }{block}, tagSize)
	if err != nil {
		return nil, fmt.Errorf("security: %w: GCM tag size %d", ErrKey, tagSize)
	}
	return aead, nil
}
