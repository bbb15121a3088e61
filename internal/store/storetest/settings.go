package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/classroomd/classroomd/internal/store"
)

// settingsTests cover store.UserSettings.
func settingsTests() []namedTest {
	return []namedTest{
		{"UserSettings", testUserSettings},
		{"UserSettingsRefused", testUserSettingsRefused},
		{"UserSettingsConcurrent", testUserSettingsConcurrent},
	}
}

func mustSetting(t *testing.T, s store.Store, username, name, want string) {
	t.Helper()
	got, err := s.UserSetting(t.Context(), username, name)
	if err != nil {
		t.Fatalf("UserSetting(%s, %s): %v", username, name, err)
	}
	if got != want {
		t.Errorf("UserSetting(%s, %s) = %q, want %q", username, name, got, want)
	}
}

// testUserSettings checks that an unset setting reads "", that a value
// reads back whole (the longest, and multi-byte text) and is replaced by the
// next, that settings are per user and per name, and that a missing user is
// ErrNotFound both ways.
func testUserSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)

	mustSetting(t, s, "alice", "figures.ssh", "")
	set := func(user, name, value string) {
		t.Helper()
		if err := s.SetUserSetting(ctx, user, name, value); err != nil {
			t.Fatalf("SetUserSetting(%s, %s, %q): %v", user, name, value, err)
		}
	}
	set("alice", "figures.ssh", "kitty")
	mustSetting(t, s, "alice", "figures.ssh", "kitty")
	mustSetting(t, s, "alice", "figures.web", "") // another name
	mustSetting(t, s, "bob", "figures.ssh", "")   // another user

	set("alice", "figures.ssh", "blocks") // replaced, not added
	set("alice", "figures.web", "off")
	set("bob", "figures.ssh", "sixel")
	mustSetting(t, s, "alice", "figures.ssh", "blocks")
	mustSetting(t, s, "alice", "figures.web", "off")
	mustSetting(t, s, "bob", "figures.ssh", "sixel")

	longest := strings.Repeat("é", store.MaxSettingValue/2) // bytes, not characters
	set("alice", "figures.ssh", longest)
	mustSetting(t, s, "alice", "figures.ssh", longest)
	set("alice", "figures.ssh", "") // an empty value reads as unset
	mustSetting(t, s, "alice", "figures.ssh", "")
	name := "a" + strings.Repeat("b", store.MaxSettingName-1)
	set("alice", name, "x")
	mustSetting(t, s, "alice", name, "x")

	if err := s.SetUserSetting(ctx, "nobody", "figures.ssh", "kitty"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetUserSetting(missing user) = %v, want ErrNotFound", err)
	}
	if _, err := s.UserSetting(ctx, "nobody", "figures.ssh"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserSetting(missing user) = %v, want ErrNotFound", err)
	}
}

// testUserSettingsRefused checks that a name or value outside the bounds is
// refused and leaves the stored value as it was.
func testUserSettingsRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	if err := s.SetUserSetting(ctx, "alice", "figures.ssh", "kitty"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, value string }{
		{"", "kitty"},
		{"a" + strings.Repeat("b", store.MaxSettingName), "kitty"},
		{"Figures.ssh", "kitty"},
		{"1figures", "kitty"},
		{"figures ssh", "kitty"},
		{"figures.ssh\x00", "kitty"},
		{"figures.ssh'; DROP TABLE users; --", "kitty"},
		{"figures.ssh", strings.Repeat("x", store.MaxSettingValue+1)},
		{"figures.ssh", strings.Repeat("é", store.MaxSettingValue/2) + "x"},
		{"figures.ssh", "kitty\x1b]52;c;aGk=\x07"},
		{"figures.ssh", "kit\x00ty"},
		{"figures.ssh", "\xff\xfe"},
		{"figures.ssh", "kitty\u0085"},
	} {
		if err := s.SetUserSetting(ctx, "alice", tc.name, tc.value); err == nil {
			t.Errorf("SetUserSetting(%.70q, %.70q) was accepted", tc.name, tc.value)
		} else if errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetUserSetting(%.70q, %.70q) = %v: the user exists, the value is refused", tc.name, tc.value, err)
		}
	}
	mustSetting(t, s, "alice", "figures.ssh", "kitty")
}

// testUserSettingsConcurrent checks that concurrent writes of one setting
// all succeed and leave one of the values written (an upsert, not a failed
// insert on a race).
func testUserSettingsConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	const n = 16
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := range n {
		wg.Go(func() {
			if err := s.SetUserSetting(ctx, "alice", "figures.ssh", fmt.Sprintf("v%d", i)); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	got, err := s.UserSetting(ctx, "alice", "figures.ssh")
	if err != nil {
		t.Fatal(err)
	}
	var ok bool
	for i := range n {
		ok = ok || got == fmt.Sprintf("v%d", i)
	}
	if !ok {
		t.Errorf("after %d concurrent writes the setting is %q, none of the values written", n, got)
	}
}
