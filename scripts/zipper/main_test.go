package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteZip(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		wantErr bool
	}{
		{name: "one binary", entries: []entry{{Name: "main", Data: []byte("\x7fELF binary")}}},
		{name: "two files in order", entries: []entry{{Name: "bootstrap", Data: []byte("b")}, {Name: "a.txt", Data: nil}}},
		{name: "empty name", entries: []entry{{Name: "", Data: []byte("x")}}, wantErr: true},
		{name: "duplicate", entries: []entry{{Name: "main", Data: []byte("1")}, {Name: "main", Data: []byte("2")}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first bytes.Buffer
			err := writeZip(&first, tt.entries)
			if (err != nil) != tt.wantErr {
				t.Fatalf("writeZip error = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			var second bytes.Buffer
			if err := writeZip(&second, tt.entries); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatal("two runs over the same input gave different bytes")
			}
			zr, err := zip.NewReader(bytes.NewReader(first.Bytes()), int64(first.Len()))
			if err != nil {
				t.Fatalf("read back: %v", err)
			}
			if len(zr.File) != len(tt.entries) {
				t.Fatalf("archive has %d entries, want %d", len(zr.File), len(tt.entries))
			}
			for i, f := range zr.File {
				want := tt.entries[i]
				if f.Name != want.Name {
					t.Errorf("entry %d name %q, want %q", i, f.Name, want.Name)
				}
				if f.Mode().Perm() != 0o755 || !f.Mode().IsRegular() {
					t.Errorf("entry %s mode %v, want -rwxr-xr-x", f.Name, f.Mode())
				}
				if !f.Modified.Equal(fixedTime) {
					t.Errorf("entry %s modified %v, want %v", f.Name, f.Modified, fixedTime)
				}
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want.Data) {
					t.Errorf("entry %s content %q, want %q", f.Name, got, want.Data)
				}
			}
		})
	}
}

// TestRunIgnoresFileMetadata proves the archive depends only on content and base name: a
// different mtime and directory give the same bytes.
func TestRunIgnoresFileMetadata(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "x", "main")
	b := filepath.Join(dir, "y", "main")
	for i, p := range []string{a, b} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("same content"), 0o600); err != nil {
			t.Fatal(err)
		}
		mt := time.Date(2001+i*20, 5, 6, 7, 8, 9, 0, time.UTC)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	za, zb := filepath.Join(dir, "a.zip"), filepath.Join(dir, "b.zip")
	if err := run(za, []string{a}); err != nil {
		t.Fatal(err)
	}
	if err := run(zb, []string{b}); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(za)
	bb, _ := os.ReadFile(zb)
	if len(ba) == 0 || !bytes.Equal(ba, bb) {
		t.Fatal("archives of the same content differ")
	}
	if err := run("", []string{a}); err == nil {
		t.Error("run without -o succeeded")
	}
	if err := run(za, []string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("run with a missing input succeeded")
	}
}
