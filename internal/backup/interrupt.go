package backup

import (
	"context"
	"errors"
	"log/slog"
)

// Interrupted reports whether err ended a backup because its context was
// cancelled (SIGINT/SIGTERM), whatever a storage SDK wrapped around it.
func Interrupted(ctx context.Context, err error) bool {
	return err != nil && (ctx.Err() != nil || errors.Is(err, context.Canceled))
}

// logFailure logs how a backup ended: an interruption as a warning naming
// the stage it stopped in (the SDK's error text is noise then, kept at
// debug level), any other failure as an error.
func logFailure(ctx context.Context, log *slog.Logger, name string, err error) {
	if !Interrupted(ctx, err) {
		log.Error("Backup failed", "name", name, "error", err.Error())
		return
	}
	stage := Stage("")
	var se *StageError
	if errors.As(err, &se) {
		stage = se.Stage
	}
	log.Warn("Backup interrupted: nothing lists it as complete; run the backup again to finish it",
		"name", name, "stage", string(stage))
	log.Debug("Backup interrupted", "name", name, "error", err.Error())
}
