package handlers

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// transient reports whether err is a passing condition of the system rather
// than a property of the message: the OCR server is down (errWait), the
// process is shutting down, or Redis is unreachable or still loading its
// data after a restart. Such a message is handed back (nacked and delivered
// again after NackResendSleep), never poisoned.
func transient(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	switch {
	case errors.Is(err, errWait), errors.Is(err, context.Canceled),
		errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	msg := err.Error()
	for _, s := range transientMessages {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// transientMessages are go-redis and server errors that carry no typed cause.
var transientMessages = []string{
	"connection refused", "connection reset", "broken pipe", "i/o timeout",
	"redis: connection pool timeout", "redis: client is closed",
	"LOADING ", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN",
}
