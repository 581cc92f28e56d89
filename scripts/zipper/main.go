// Command zipper writes a reproducible zip archive: the same input files always give the same
// bytes, whatever the files' mtimes, owners or the machine's time zone. Every entry gets a
// fixed modification time (1980-01-01 00:00:00 UTC, the earliest time zip can store), Unix
// permissions 0755 and Deflate compression; entries are written in the order given, and no
// directory entries are written, so the archive holds exactly the named files at its root.
//
// Usage:
//
//	go run ./scripts/zipper -o dist/scf.zip dist/scf/main
//	go run ./scripts/zipper -o dist/lambda.zip dist/lambda/bootstrap
//
// Each input is stored under its base name. zipper prints the archive's path, size and
// sha256 on success.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"github.com/klauspost/compress/flate"
	"io"
	"os"
	"path/filepath"
	"time"
)

// fixedTime is the modification time every entry gets.
var fixedTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// entry is one file to store: Name inside the archive, Data its content.
type entry struct {
	Name string
	Data []byte
}

// writeZip writes entries to w as a reproducible archive (see the package comment). It fails
// on an empty or duplicate name.
func writeZip(w io.Writer, entries []entry) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if e.Name == "" {
			return errors.New("write zip: entry with an empty name")
		}
		if seen[e.Name] {
			return fmt.Errorf("write zip: duplicate entry %q", e.Name)
		}
		seen[e.Name] = true
		fh := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: fixedTime}
		fh.SetMode(0o755)
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return fmt.Errorf("write zip entry %s: %w", e.Name, err)
		}
		if _, err := fw.Write(e.Data); err != nil {
			return fmt.Errorf("write zip entry %s: %w", e.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("close zip: %w", err)
	}
	return nil
}

func run(out string, inputs []string) error {
	if out == "" || len(inputs) == 0 {
		return errors.New("usage: zipper -o out.zip file...")
	}
	entries := make([]entry, 0, len(inputs))
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			return fmt.Errorf("read input: %w", err)
		}
		entries = append(entries, entry{Name: filepath.Base(in), Data: data})
	}
	var buf bytes.Buffer
	if err := writeZip(&buf, entries); err != nil {
		return fmt.Errorf("zip %s: %w", out, err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	fmt.Printf("%s\t%d bytes\tsha256 %s\n", out, buf.Len(), hex.EncodeToString(sum[:]))
	return nil
}

func main() {
	out := flag.String("o", "", "output zip `path`")
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "zipper:", err)
		os.Exit(1)
	}
}
