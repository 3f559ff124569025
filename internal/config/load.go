package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// maxFileSize bounds what is read as a medusa.ini.
const maxFileSize = 16 << 20

const configFileHint = "pass --config-file with the path of your medusa.ini"

// Loader loads medusa.ini files. Its zero value reads the real file system
// and resolves the fqdn with SystemResolver.
type Loader struct {
	// ReadFile reads the config file and Kubernetes secret files;
	// nil means os.ReadFile (refusing directories and files over 16 MiB).
	ReadFile func(name string) ([]byte, error)
	// Resolver finds the local fqdn when [storage] fqdn is not set;
	// nil means SystemResolver.
	Resolver Resolver
}

// Load reads path with a zero Loader. env is os.Getenv or a stand-in (nil
// means os.Getenv); an empty variable counts as unset. ctx bounds the name
// lookups that find the fqdn when it is not set.
func Load(ctx context.Context, path string, ov Overrides, env func(string) string) (*Config, []Warning, error) {
	return (&Loader{}).Load(ctx, path, ov, env)
}

// Load reads the file at path and builds the effective configuration. A
// file that cannot be read gives an error naming it (errors.Is works with
// fs.ErrNotExist and fs.ErrPermission); an invalid configuration gives a
// *ValidationError listing every problem. Warnings come back in both cases.
func (l *Loader) Load(ctx context.Context, path string, ov Overrides, env func(string) string) (*Config, []Warning, error) {
	if path == "" {
		return nil, nil, &fileError{msg: "no config file given; " + configFileHint, err: fs.ErrNotExist}
	}
	data, err := l.readFile(path)
	if err != nil {
		return nil, nil, describeReadError(path, err)
	}
	return l.parse(ctx, path, data, ov, env)
}

func (l *Loader) readFile(name string) ([]byte, error) {
	if l.ReadFile != nil {
		return l.ReadFile(name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("larger than 16 MiB, not a medusa.ini")}
	}
	return data, nil
}

func (l *Loader) resolver() Resolver {
	if l.Resolver != nil {
		return l.Resolver
	}
	return SystemResolver{}
}

// fileError is an error about the config file itself, with a message for
// users and the underlying cause for errors.Is.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// describeReadError turns a read failure of the config file into a message
// saying what is wrong and what to do.
func describeReadError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if target, lerr := os.Readlink(path); lerr == nil {
			return &fileError{err: err, msg: fmt.Sprintf(
				"config file %s is a symbolic link to %s, which does not exist; %s", path, target, configFileHint)}
		}
		return &fileError{err: err, msg: fmt.Sprintf("config file %s does not exist; %s", path, configFileHint)}
	case errors.Is(err, syscall.EISDIR):
		return &fileError{err: err, msg: fmt.Sprintf("config file %s is a directory, not a file; %s", path, configFileHint)}
	}
	return &fileError{err: err, msg: fmt.Sprintf("cannot read config file %s: %s", path, errText(err))}
}

// errText is the cause of a path error without the repeated path.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
