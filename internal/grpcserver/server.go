package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
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
}

// Serve listens, registers the Medusa service and grpc.health.v1 (overall
// service "" SERVING) and serves until ctx is cancelled; then it stops
// gracefully.
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
	srv := grpc.NewServer(serverOptions(o.GRPC)...)
	medusapb.RegisterMedusaServer(srv, o.Service)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)

	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("grpc server: listen on %s (medusa.ini [grpc] port): %w", addr, err)
	}
	logger.Info("grpc server listening", "addr", lis.Addr().String())
	if o.Ready != nil {
		o.Ready(lis.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	select {
	case err := <-done:
		return fmt.Errorf("grpc server: %w", err)
	case <-ctx.Done():
		hs.Shutdown()
		srv.GracefulStop()
		<-done
		return nil
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
