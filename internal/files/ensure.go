package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	homesPerm = 0o711 // others may traverse to their own home but not list the others
	homePerm  = 0o700
	filePerm  = 0o644
)

// WelcomeFile is the program written into a new home.
const WelcomeFile = "welcome.py"

// EnsureHome makes sure homesDir/username exists and returns its path. It
// creates homesDir (0711) and the home (0700) when missing, and only when it
// creates the home does it write welcome.py: an existing home is never
// touched, so a student's edits (or deletion) of welcome.py stand. It is
// safe to call on every login, also concurrently (only one caller's Mkdir
// succeeds, and only that caller writes). username must already be validated.
//
// When the daemon runs as root the home belongs to owner, the student's own host
// uid, so that what their sandboxed programs write is theirs; a home found with
// another owner (made before uids existed) has its ownership repaired, without
// following any link. Without root, owner is ignored.
func EnsureHome(homesDir, username string, owner Owner) (dir string, err error) {
	if username == "" || username == "." || username == ".." || strings.ContainsAny(username, `/\`) {
		return "", fmt.Errorf("ensure home: %q is not a usable folder name", username)
	}
	if err := ensureHomesDir(homesDir); err != nil {
		return "", err
	}
	homes, err := os.OpenRoot(homesDir)
	if err != nil {
		return "", fmt.Errorf("ensure home: %w", err)
	}
	defer homes.Close()

	dir = filepath.Join(homesDir, username)
	if err := homes.Mkdir(username, homePerm); errors.Is(err, fs.ErrExist) {
		fi, err := homes.Lstat(username)
		if err != nil {
			return "", fmt.Errorf("ensure home %s: %w", dir, err)
		}
		if err := checkHomeDir(dir, fi); err != nil {
			return "", err
		}
		if owner.applies() && !owner.owns(fi) {
			if err := owner.repair(homes, username); err != nil {
				return "", fmt.Errorf("ensure home %s: give it to uid %d: %w", dir, owner.UID, err)
			}
		}
		return dir, nil
	} else if err != nil {
		return "", fmt.Errorf("ensure home %s: %w", dir, err)
	}

	// We created it, so nobody else has written into it yet. Set the mode
	// explicitly: Mkdir's is filtered by the umask.
	if err := homes.Chmod(username, homePerm); err != nil {
		return "", fmt.Errorf("ensure home %s: %w", dir, err)
	}
	if owner.applies() {
		if err := homes.Lchown(username, owner.UID, owner.GID); err != nil {
			return "", fmt.Errorf("ensure home %s: %w", dir, err)
		}
	}
	home, err := homes.OpenRoot(username)
	if err != nil {
		return "", fmt.Errorf("ensure home %s: %w", dir, err)
	}
	defer home.Close()
	if err := writeFileAtomic(home, WelcomeFile, welcomeProgram(username), filePerm); err != nil {
		return "", fmt.Errorf("ensure home %s: %w", dir, err)
	}
	// Make the new home's own directory entry durable.
	if err := syncDir(homes, "."); err != nil {
		return "", fmt.Errorf("ensure home %s: %w", dir, err)
	}
	return dir, nil
}

func ensureHomesDir(homesDir string) error {
	fi, err := os.Stat(homesDir) // following a link here is fine: the admin chose the path
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(homesDir, homesPerm); err != nil {
			return fmt.Errorf("create homes folder: %w", err)
		}
		if err := os.Chmod(homesDir, homesPerm); err != nil {
			return fmt.Errorf("create homes folder: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("homes folder: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("homes folder %s exists but is not a folder", homesDir)
	}
	return nil
}

// checkHomeDir refuses a home that is a symlink or not a directory: a link
// could point at another student's home or anywhere else on the server.
func checkHomeDir(dir string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("home %s is a symbolic link; refusing to use it (replace it with a real folder)", dir)
	case !fi.IsDir():
		return fmt.Errorf("home %s exists but is not a folder; refusing to use it", dir)
	}
	return nil
}

func welcomeProgram(username string) []byte {
	// A Go-quoted string is a valid Python literal for the usernames that
	// pass validation (printable, no quotes or backslashes).
	greeting := fmt.Sprintf("Hello, %s! Welcome to classroomd.", username)
	return fmt.Appendf(nil, `# Your first Python program.
# To run it later: open it in classroomd's editor and run it,
# or type  python3 welcome.py  in a terminal.
print(%q)
`, greeting)
}
