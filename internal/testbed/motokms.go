package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// MotoVersion is the moto release (PyPI moto[server]) that
// scripts/testbed/moto/install.sh installs by default. Keep the two in
// sync.
const MotoVersion = "5.2.5"

// motoInstallTimeout bounds the lazy install of moto from PyPI (about
// half a minute with wheels).
const motoInstallTimeout = 5 * time.Minute

// MotoKMS is moto's server (a local implementation of AWS APIs, from
// PyPI) on 127.0.0.1, used for its KMS: the real AWS KMS wire protocol
// with symmetric keys, aliases, GenerateDataKey and Decrypt bound to the
// encryption context, and key states (DisableKey, ScheduleKeyDeletion).
// It does not check signatures or key policies: any credentials work and
// nothing is ever refused as AccessDenied (the in-process fake KMS does
// that for the short tests). StartMotoKMS creates one symmetric key and
// its alias.
type MotoKMS struct {
	URL    string // endpoint (http://127.0.0.1:port), for [storage] encryption_kms_endpoint
	Host   string
	Port   int
	Region string
	KeyID  string // the key's id (a UUID)
	KeyARN string // arn:aws:kms:<region>:<account>:key/<id>
	Alias  string // alias/medusa-test, naming the key
	Dir    string

	proc *Proc
}

// MotoInstallScript returns scripts/testbed/moto/install.sh of the source
// tree this package was built from.
func MotoInstallScript() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("moto test bed: cannot locate the source tree (runtime.Caller)")
	}
	p := filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", "scripts", "testbed", "moto", "install.sh"))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("moto test bed: install script: %w", err)
	}
	return p, nil
}

// MotoVenv is the virtualenv install.sh creates for MotoVersion:
// $CACHE/moto-<version>.
func MotoVenv() string { return filepath.Join(CacheDir(), "moto-"+MotoVersion) }

// MotoServer returns the moto_server executable of the virtualenv. When
// install.sh has not completed (its marker file holds the version), the
// error says how to run it.
func MotoServer() (string, error) {
	venv := MotoVenv()
	exe := filepath.Join(venv, "bin", "moto_server")
	stamp, err := os.ReadFile(filepath.Join(venv, ".complete"))
	if err == nil && strings.TrimSpace(string(stamp)) == MotoVersion {
		// bin/python is a symlink to the interpreter the venv was made
		// with: Stat follows it, so a removed interpreter shows here.
		if _, err = os.Stat(filepath.Join(venv, "bin", "python")); err == nil {
			if _, err = os.Stat(exe); err == nil {
				return exe, nil
			}
		}
	}
	script, serr := MotoInstallScript()
	if serr != nil {
		script = "scripts/testbed/moto/install.sh"
	}
	return "", fmt.Errorf("moto %s is not installed in %s (%v): run %s %s (with MEDUSA_TESTBED_CACHE=%s)",
		MotoVersion, venv, err, script, MotoVersion, CacheDir())
}

// InstallMoto runs install.sh when moto is missing (idempotent; about
// half a minute from PyPI) and returns the moto_server executable.
func InstallMoto(ctx context.Context) (string, error) {
	if exe, err := MotoServer(); err == nil {
		return exe, nil
	}
	script, err := MotoInstallScript()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, motoInstallTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, MotoVersion)
	cmd.Env = append(os.Environ(), "MEDUSA_TESTBED_CACHE="+CacheDir())
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("moto: %s %s: %w\n%s", script, MotoVersion, err, cassTail(string(out), 40))
	}
	return MotoServer()
}

// MotoKMSAlias is the alias StartMotoKMS gives its key.
const MotoKMSAlias = "alias/medusa-test"

// StartMotoKMS starts moto_server on a free port of 127.0.0.1 (installing
// moto first when the cache lacks it), with its log in dir, and creates
// a symmetric key named by MotoKMSAlias.
func StartMotoKMS(ctx context.Context, dir string) (*MotoKMS, error) {
	exe, err := InstallMoto(ctx)
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	m := &MotoKMS{Host: "127.0.0.1", Region: S3Region, Dir: dir}
	// moto keeps every key in memory; its log (requests, tracebacks) goes
	// to dir/moto-kms.log.
	env := []string{"HOME=" + dir, "TMPDIR=" + dir, "LANG=C.UTF-8", "PYTHONUNBUFFERED=1"}
	m.proc, m.Port, err = startOnFreePort(func(port int) (*Proc, error) {
		p, err := StartProc(ProcSpec{Name: "moto-kms", Path: exe, Env: env, Dir: dir,

			Args: []string{"-H", "127.0.0.1", "-p", fmt.Sprint(port)}})
		if err != nil {
			return nil, err
		}
		if err := p.WaitTCP(ctx, hostPort(port), s3StartTimeout); err != nil {
			p.Stop()
			return p, err
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	m.URL = "http://" + hostPort(m.Port)
	if m.KeyARN, err = m.NewKey(ctx, MotoKMSAlias); err != nil {
		m.Stop()
		return nil, m.proc.failure(err)
	}
	m.Alias = MotoKMSAlias
	m.KeyID = m.KeyARN[strings.LastIndex(m.KeyARN, "/")+1:]
	return m, nil
}

// MotoKMST starts moto's KMS for a test (see startT): it installs moto
// when needed, skips under -short and fails the test with the reason when
// the server cannot start.
func MotoKMST(t testing.TB) *MotoKMS {
	t.Helper()
	return startT(t, "a KMS server (moto, PyPI moto[server])", StartMotoKMS)
}

// Stop kills the server (its keys live in memory only).
func (m *MotoKMS) Stop() { m.proc.Stop() }

// Client is an AWS SDK KMS client of the server (any credentials work).
func (m *MotoKMS) Client() *kms.Client {
	return kms.New(kms.Options{Region: m.Region, BaseEndpoint: aws.String(m.URL), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIAMOTOKMSTEST", "moto-does-not-check", "")})
}

// NewKey creates a symmetric encryption key and, when alias is not "",
// the alias (alias/...) naming it, and returns the key's ARN. Start-up
// is retried for a few seconds: the server may accept connections before
// it answers.
func (m *MotoKMS) NewKey(ctx context.Context, alias string) (string, error) {
	c := m.Client()
	deadline := time.Now().Add(20 * time.Second)
	var out *kms.CreateKeyOutput
	var err error
	for {
		out, err = c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("medusa test key"),
			KeySpec: types.KeySpecSymmetricDefault, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return "", fmt.Errorf("moto KMS at %s: CreateKey: %w", m.URL, err)
	}
	arn := aws.ToString(out.KeyMetadata.Arn)
	if alias != "" {
		if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
			return "", fmt.Errorf("moto KMS at %s: CreateAlias %s: %w", m.URL, alias, err)
		}
	}
	return arn, nil
}

// KeyState returns the state of a key (Enabled, Disabled,
// PendingDeletion, ...).
func (m *MotoKMS) KeyState(ctx context.Context, keyID string) (types.KeyState, error) {
	out, err := m.Client().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return "", err
	}
	return out.KeyMetadata.KeyState, nil
}

// Wipe empties the server (moto's POST /moto-api/reset): every key and
// alias is gone, as after a key's deletion window on AWS, and a data key
// blob no longer decrypts.
func (m *MotoKMS) Wipe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto KMS at %s: reset: %w", m.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto KMS at %s: reset: %s: %s", m.URL, resp.Status, body)
	}
	return nil
}
