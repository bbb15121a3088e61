package accounts

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLen is the shortest password a person may choose.
const MinPasswordLen = 8

// readableAlphabet leaves out characters that are easy to confuse (0/o, 1/l/i).
const readableAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// GeneratePassword returns a random password that is easy to read aloud and type:
// four groups of four, e.g. "k7dm-qx2p-hr9t-c4nv" (31^16, about 79 bits).
func GeneratePassword() string {
	var b strings.Builder
	for g := 0; g < 4; g++ {
		if g > 0 {
			b.WriteByte('-')
		}
		for i := 0; i < 4; i++ {
			b.WriteByte(readableAlphabet[randIndex(len(readableAlphabet))])
		}
	}
	return b.String()
}

// randIndex returns a uniform index below n from crypto/rand, rejecting biased bytes.
func randIndex(n int) int {
	limit := 256 - 256%n
	var buf [1]byte
	for {
		rand.Read(buf[:]) // never fails since Go 1.24: it crashes the program instead
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// CheckPassword applies the password policy to a password a person chose.
func CheckPassword(username, password string) error {
	switch {
	case len(password) < MinPasswordLen:
		return fmt.Errorf("the password is too short: use at least %d characters", MinPasswordLen)
	case len(password) > 72:
		return fmt.Errorf("the password is too long: bcrypt uses at most 72 bytes")
	case strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return fmt.Errorf("the password must not contain the username")
	}
	return nil
}

// HashPassword hashes password with bcrypt at cost.
func HashPassword(password string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// ErrBadHash means a password hash is not a bcrypt hash classroomd accepts.
var ErrBadHash = errors.New("not a bcrypt hash")

// CheckImportedHash accepts bcrypt hashes ($2a$, $2b$, $2y$) of cost 4-14, as exported
// by older systems, so a class keeps its passwords when it moves.
func CheckImportedHash(hash string) error {
	if !(strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$")) || len(hash) != 60 {
		return fmt.Errorf("%w: expected 60 characters starting with $2a$, $2b$ or $2y$", ErrBadHash)
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadHash, err)
	}
	if cost < 4 || cost > 14 {
		return fmt.Errorf("%w: cost %d is outside 4-14", ErrBadHash, cost)
	}
	return nil
}
