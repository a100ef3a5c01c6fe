// Package jobstore keeps job state in Redis under the keys documented in the
// README. Every key of one job shares the hash tag {ID}, so the Lua scripts
// that touch several of them run in one Redis Cluster slot.
package jobstore

import (
	"fmt"
	"regexp"
)

// JobsIndex orders job ids by creation time, so listing never needs KEYS or SCAN.
const JobsIndex = "docparse:jobs"

// Statuses a job moves through. The last three are final.
const (
	StatusQueued     = "queued"
	StatusProcessing = "processing"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
	StatusCancelled  = "cancelled"
)

// Final reports whether a status is the end of a job.
func Final(status string) bool {
	return status == StatusCompleted || status == StatusFailed || status == StatusCancelled
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidID reports whether id has the shape of a job id, so a malformed id from
// a URL never reaches Redis as part of a key.
func ValidID(id string) bool { return idPattern.MatchString(id) }

func jobKey(id string) string      { return "docparse:job:{" + id + "}" }
func pagesKey(id string) string    { return jobKey(id) + ":pages" }
func pdfKey(id string) string      { return jobKey(id) + ":pdf" }
func resultKey(id string) string   { return jobKey(id) + ":result" }
func inflightKey(id string) string { return jobKey(id) + ":inflight" }

// ImageKey names page n's rendered image.
func ImageKey(id string, n int) string { return fmt.Sprintf("%s:img:%d", jobKey(id), n) }
