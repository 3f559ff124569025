package cluster

import "github.com/medusa-go/medusa/internal/remote"

type remoteCommand = remote.Command
type exitError = remote.ExitError
