package handlers

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// quietShutdown lowers Watermill's errors caused by our own context
// cancellation (every subscriber reports its blocked read as failed on
// shutdown) to debug, so that an ERROR line always means something.
type quietShutdown struct{ watermill.LoggerAdapter }

func (q quietShutdown) Error(msg string, err error, fields watermill.LogFields) {
	if errors.Is(err, context.Canceled) {
		q.Debug(msg+": "+err.Error(), fields)
		return
	}
	q.LoggerAdapter.Error(msg, err, fields)
}

func (q quietShutdown) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return quietShutdown{q.LoggerAdapter.With(fields)}
}

func newWatermillLogger(l *slog.Logger) watermill.LoggerAdapter {
	return quietShutdown{watermill.NewSlogLoggerWithLevelMapping(l, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})}
}
