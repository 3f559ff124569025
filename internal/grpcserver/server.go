package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
)

// ErrConfigChanged is what Serve returns after it stopped because
// Options.ConfigFile changed while no operation was running. The command
// should exit 0: kubelet then restarts the container, which reads the new
// medusa.ini (k8ssandra-operator changes storage settings by rewriting the
// ConfigMap only, relying on this).
var ErrConfigChanged = errors.New("medusa.ini changed: the gRPC server stopped so that the container restarts with the new configuration")

// Defaults of Options.
const (
	DefaultConfigPoll  = 5 * time.Second
	DefaultStopTimeout = 15 * time.Second
)

// Options are what Serve needs: the [grpc] section, the Medusa service to
// expose and where to log.
type Options struct {
	GRPC config.GRPC
	// Addr overrides the listen address; "" means all interfaces on
	// [grpc] port, as the operator (pod IP) and its probe (localhost) dial.
	Addr    string
	Service medusapb.MedusaServer
	Logger  *slog.Logger
	// Ready, when set, is called with the listener's address once the
	// server accepts connections.
	Ready func(addr net.Addr)

	// ConfigFile, when set, is the medusa.ini the server was configured
	// from. Serve hashes its content every ConfigPoll; once it differs,
	// Busy reports no running operation and no Medusa rpc is being served,
	// Serve stops gracefully and returns ErrConfigChanged.
	ConfigFile string
	// Busy reports whether an operation (an AsyncBackup) is running; a
	// config change waits until it is false and no Medusa rpc is in
	// flight.
	// It is called from the watcher's goroutine, so it must be safe for
	// concurrent use; nil means never busy.
	Busy func() bool
	// ConfigPoll is how often ConfigFile is hashed; 0 means
	// DefaultConfigPoll (Medusa's image checks every 5 s too).
	ConfigPoll time.Duration
	// StopTimeout bounds the graceful stop (waiting for running rpcs)
	// before open connections are closed; 0 means DefaultStopTimeout.
	StopTimeout time.Duration
}

// Serve listens, registers the Medusa service and grpc.health.v1 (overall
// service "" SERVING) and serves until ctx is cancelled (then it stops
// gracefully and returns nil) or ConfigFile changed while idle (then it
// returns ErrConfigChanged).
//
// With [grpc] ca_cert, tls_cert and tls_key set it serves mutual TLS (see
// tlsSource); otherwise plaintext. Each rpc, health checks included, runs
// on its own goroutine, so a check is answered while a backup runs.
func Serve(ctx context.Context, o Options) error {
	if o.Service == nil {
		return errors.New("grpc server: no Medusa service")
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	addr := o.Addr
	if addr == "" {
		addr = ":" + strconv.Itoa(o.GRPC.Port)
	}
	// Medusa rpcs in flight (PurgeBackups and a sync Backup can take long):
	// a config change waits for them as for Busy.
	var inflight atomic.Int64
	opts := append(serverOptions(o.GRPC), grpc.ChainUnaryInterceptor(
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if strings.HasPrefix(info.FullMethod, "/grpc.health.v1.Health/") {
				return h(ctx, req)
			}
			inflight.Add(1)
			defer inflight.Add(-1)
			return h(ctx, req)
		}))
	files, err := tlsFilesOf(o.GRPC)
	if err != nil {
		return err
	}
	if files != nil {
		src, err := newTLSSource(*files, logger)
		if err != nil {
			return err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(src.serverConfig())))
	}
	srv := grpc.NewServer(opts...)
	medusapb.RegisterMedusaServer(srv, o.Service)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)

	// The watched file's content is taken before the server is announced
	// ready: a change made by whoever waits for Ready is a change.
	var watch configWatch
	var base string
	if o.ConfigFile != "" {
		busy := func() bool { return inflight.Load() > 0 || (o.Busy != nil && o.Busy()) }
		watch = configWatch{path: o.ConfigFile, busy: busy, every: o.ConfigPoll, logger: logger}
		base = watch.hash()
	}

	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("grpc server: listen on %s (medusa.ini [grpc] port): %w", addr, err)
	}
	logger.Info("grpc server listening", "addr", lis.Addr().String(), "mtls", files != nil)
	if o.Ready != nil {
		o.Ready(lis.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	changed := make(chan struct{})
	if o.ConfigFile != "" {
		go func() {
			if watch.wait(watchCtx, base) {
				close(changed)
			}
		}()
	}

	stop := func() {
		hs.Shutdown()
		gracefulStop(srv, o.StopTimeout, logger)
		<-done
	}
	select {
	case err := <-done:
		return fmt.Errorf("grpc server: %w", err)
	case <-ctx.Done():
		stop()
		return nil
	case <-changed:
		logger.Info("medusa.ini changed and no operation is running: stopping the grpc server to restart with it",
			"config_file", o.ConfigFile)
		stop()
		return ErrConfigChanged
	}
}

// gracefulStop lets running rpcs finish for at most timeout, then closes
// every connection.
func gracefulStop(srv *grpc.Server, timeout time.Duration, logger *slog.Logger) {
	if timeout <= 0 {
		timeout = DefaultStopTimeout
	}
	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		logger.Warn("grpc server: rpcs still running after the graceful stop timeout; closing connections",
			"timeout", timeout)
		srv.Stop()
		<-stopped
	}
}

// serverOptions are the message limits of [grpc].
func serverOptions(g config.GRPC) []grpc.ServerOption {
	var opts []grpc.ServerOption
	if g.MaxSendMessageLength > 0 {
		opts = append(opts, grpc.MaxSendMsgSize(g.MaxSendMessageLength))
	}
	if g.MaxReceiveMessageLength > 0 {
		opts = append(opts, grpc.MaxRecvMsgSize(g.MaxReceiveMessageLength))
	}
	return opts
}
