//go:build !linux || !cgo

package render

// MallocArenasCapped is false off glibc (see malloc_linux.go).
func MallocArenasCapped() bool { return false }

// MallocMmapFixed is false off glibc (see malloc_linux.go).
func MallocMmapFixed() bool { return false }
