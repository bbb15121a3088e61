package accounts

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/store"
)

// ErrWrongPassword means the current password given to ChangeOwnPassword is wrong.
var ErrWrongPassword = errors.New("the current password is wrong")

// ChangeOwnPassword lets a logged-in user choose a new password. The current one is
// checked like a login (throttled, failures audited), so a session left open on a lab
// machine cannot be used to take the account over. Errors are sentences for the user.
func (s *Service) ChangeOwnPassword(ctx context.Context, username, current, next, remote string) error {
	res, err := s.verifyPassword(ctx, username, current, remote, "user.passwd.self")
	if err != nil {
		return err
	}
	if !res.OK {
		if res.Reason == "error" {
			return errors.New("the password could not be checked just now; try again in a minute")
		}
		return ErrWrongPassword
	}
	u := res.User
	if err := CheckPassword(u.Username, next); err != nil {
		return err
	}
	if next == current {
		return errors.New("the new password is the same as the current one: choose a different one")
	}
	hash, err := HashPassword(next, s.cost)
	if err != nil {
		return err
	}
	if err := s.store.SetPasswordHash(ctx, u.Username, hash, false); err != nil {
		s.log.Error("password change not saved", "user", u.Username, "err", err)
		return errors.New("the new password could not be saved; your old password still works")
	}
	if err := s.store.ClearLoginFailures(ctx, store.ScopeUser, u.Username); err != nil {
		s.log.Warn("could not reset login failures", "user", u.Username, "err", err)
	}
	s.revokeWebSessions(ctx, u.Username, currentWebSession(ctx)) // other browsers sign in again
	s.audit(ctx, Actor{Name: u.Username, Remote: remote}, "user.passwd.self", u.Username, "ok", "")
	return nil
}

// MinRSABits is the smallest RSA key accepted for login.
const MinRSABits = 2048

// ParsePublicKey reads one public key in authorized_keys form and checks that its
// type is one classroomd accepts: ed25519, ECDSA, or RSA of at least 2048 bits.
func ParsePublicKey(line []byte) (gossh.PublicKey, string, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil, "", errors.New("no key given: send the .pub file, e.g. ssh HOST keys add < ~/.ssh/id_ed25519.pub")
	}
	if len(line) > 16<<10 {
		return nil, "", errors.New("that is too long for a public key")
	}
	if bytes.HasPrefix(line, []byte("-----BEGIN")) {
		return nil, "", errors.New("that is a PRIVATE key: never share it. Send the .pub file instead")
	}
	// x/crypto no longer parses DSA keys at all; say why before trying.
	if bytes.HasPrefix(line, []byte("ssh-dss ")) {
		return nil, "", fmt.Errorf("DSA keys are no longer safe: %s", newKeyHint)
	}
	pk, comment, _, rest, err := gossh.ParseAuthorizedKey(line)
	if err != nil {
		return nil, "", errors.New("that is not an OpenSSH public key (expected one line like \"ssh-ed25519 AAAA... you@laptop\")")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, "", errors.New("send one key at a time")
	}
	if err := checkKeyType(pk); err != nil {
		return nil, "", err
	}
	return pk, Printable(comment), nil
}

const newKeyHint = "create a new key with: ssh-keygen -t ed25519"

func checkKeyType(pk gossh.PublicKey) error {
	const hint = newKeyHint
	switch t := pk.Type(); t {
	case gossh.KeyAlgoED25519, gossh.KeyAlgoECDSA256, gossh.KeyAlgoECDSA384, gossh.KeyAlgoECDSA521:
		return nil
	case gossh.KeyAlgoRSA:
		cpk, ok := pk.(gossh.CryptoPublicKey)
		if !ok {
			return errors.New("the RSA key could not be read")
		}
		rk, ok := cpk.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return errors.New("the RSA key could not be read")
		}
		if bits := rk.N.BitLen(); bits < MinRSABits {
			return fmt.Errorf("RSA keys need at least %d bits; this one has %d: %s", MinRSABits, bits, hint)
		}
		return nil
	default:
		if strings.Contains(t, "-cert-") {
			return fmt.Errorf("certificates are not accepted, only plain public keys: %s", hint)
		}
		return fmt.Errorf("%s keys are not accepted (use ed25519, ECDSA or RSA of %d bits or more): %s", Printable(t), MinRSABits, hint)
	}
}

// AddKey registers a public key (authorized_keys form) for username and returns it.
func (s *Service) AddKey(ctx context.Context, by Actor, username string, line []byte) (store.PublicKey, error) {
	pk, comment, err := ParsePublicKey(line)
	if err != nil {
		return store.PublicKey{}, err
	}
	k := store.PublicKey{
		Username:    username,
		Fingerprint: gossh.FingerprintSHA256(pk),
		Key:         strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk))),
		Comment:     comment,
	}
	if err := s.store.AddPublicKey(ctx, k); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// Whose key it is stays private.
			return store.PublicKey{}, errors.New("this key is already registered: a key can belong to one account only")
		}
		return store.PublicKey{}, fmt.Errorf("the key could not be saved: %w", err)
	}
	s.audit(ctx, by, "key.add", username, "ok", k.Fingerprint)
	return k, nil
}

// Keys lists username's registered keys, oldest first.
func (s *Service) Keys(ctx context.Context, username string) ([]store.PublicKey, error) {
	return s.store.ListPublicKeys(ctx, username)
}

// RemoveKey revokes one of username's keys by fingerprint.
func (s *Service) RemoveKey(ctx context.Context, by Actor, username, fingerprint string) error {
	if err := s.store.RemovePublicKey(ctx, username, fingerprint); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("you have no key %s: see `keys list`", Printable(fingerprint))
		}
		return fmt.Errorf("the key could not be removed: %w", err)
	}
	s.audit(ctx, by, "key.remove", username, "ok", fingerprint)
	return nil
}
