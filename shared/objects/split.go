package objects

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// record is one request cut from an object by a splitter.
type record struct {
	// n is the 1-based line number (NDJSON) or the 0-based element index (array).
	n int
	// body is the request JSON, a copy owned by the record; nil when err is set.
	body []byte
	// err says why the line or element cannot be a request (invalid JSON, too long, truncated).
	err error
}

// splitter cuts an object into records, holding at most one record (of at most max bytes) in
// memory. next returns io.EOF after the last record; any other error is a read failure.
type splitter struct {
	br    *bufio.Reader
	array bool
	acc   accum

	n       int     // NDJSON: last line number; array: index of the next element
	done    bool    // no more input to read
	started bool    // array: an element was cut, so "[]" is no longer possible
	pending *record // array: an error record to return before EOF (data after ']')
}

// bom is the UTF-8 byte order mark some editors put at the start of a file.
var bom = []byte{0xEF, 0xBB, 0xBF}

// newSplitter detects the format of r (a JSON array when the first non-space byte is '[',
// otherwise NDJSON) and returns a splitter that refuses records longer than max bytes once
// surrounding whitespace is removed. A leading UTF-8 byte order mark is ignored.
func newSplitter(r io.Reader, max int) (*splitter, error) {
	s := &splitter{br: bufio.NewReaderSize(r, 64<<10), acc: accum{max: max}}
	if p, _ := s.br.Peek(len(bom)); bytes.Equal(p, bom) {
		_, _ = s.br.Discard(len(bom))
	}
	lines := 0
	for {
		c, err := s.br.ReadByte()
		if err == io.EOF {
			s.done = true
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		switch {
		case c == '\n':
			lines++
		case isSpace(c):
		case c == '[':
			s.array = true
			return s, nil
		default:
			s.n = lines // NDJSON: blank leading lines still count
			return s, s.br.UnreadByte()
		}
	}
}

// next returns the next record, io.EOF at the end, or a read error of the underlying object.
func (s *splitter) next() (record, error) {
	if s.pending != nil {
		rec := *s.pending
		s.pending = nil
		return rec, nil
	}
	if s.done {
		return record{}, io.EOF
	}
	if s.array {
		return s.nextElement()
	}
	return s.nextLine()
}

// nextLine returns the next non-blank NDJSON line.
func (s *splitter) nextLine() (record, error) {
	for {
		s.acc.reset()
		for {
			frag, err := s.br.ReadSlice('\n')
			if err == nil {
				frag = frag[:len(frag)-1]
			}
			s.acc.add(frag)
			if err == nil {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != io.EOF {
				return record{}, err
			}
			s.done = true
			break
		}
		if s.acc.empty() {
			if s.done {
				return record{}, io.EOF
			}
			s.n++ // blank line
			continue
		}
		s.n++
		switch {
		case s.acc.tooLong():
			return record{n: s.n, err: fmt.Errorf("line %d is longer than %d bytes", s.n, s.acc.max)}, nil
		case !json.Valid(s.acc.bytes()):
			return record{n: s.n, err: fmt.Errorf("line %d is not valid JSON", s.n)}, nil
		}
		return record{n: s.n, body: bytes.Clone(s.acc.bytes())}, nil
	}
}

// nextElement returns the next element of a JSON array. The array is cut by a small scanner
// rather than json.Decoder, so that an oversized element is never buffered whole and an invalid
// element does not lose the elements after it: each element is the text between top-level
// commas, checked with json.Valid.
func (s *splitter) nextElement() (record, error) {
	s.acc.reset()
	var (
		depth    int
		inString bool
		escaped  bool
		term     byte // ',' or ']' found at depth 0; 0 at end of input
	)
	for term == 0 {
		if _, err := s.br.Peek(1); err != nil {
			if err == io.EOF {
				break
			}
			return record{}, err
		}
		chunk, _ := s.br.Peek(s.br.Buffered())
		i := 0
	bytesLoop:
		for ; i < len(chunk); i++ {
			c := chunk[i]
			if inString {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}':
				if depth > 0 {
					depth--
				}
			case ']':
				if depth == 0 {
					term = c
					break bytesLoop
				}
				depth--
			case ',':
				if depth == 0 {
					term = c
					break bytesLoop
				}
			}
		}
		s.acc.add(chunk[:i])
		if term != 0 {
			i++ // the terminator is consumed too
		}
		if _, err := s.br.Discard(i); err != nil {
			return record{}, err
		}
	}

	n := s.n
	if term == 0 {
		s.done = true
		return record{n: n, err: fmt.Errorf("element %d: the array is not closed", n)}, nil
	}
	emptyArray := term == ']' && !s.started && s.acc.empty() // "[]"
	if !emptyArray {
		s.started = true
		s.n++
	}
	if term == ']' {
		s.done = true
		if err := s.checkTrailing(); err != nil {
			return record{}, err
		}
		if emptyArray {
			return s.next()
		}
	}
	switch {
	case s.acc.empty():
		return record{n: n, err: fmt.Errorf("element %d is empty", n)}, nil
	case s.acc.tooLong():
		return record{n: n, err: fmt.Errorf("element %d is longer than %d bytes", n, s.acc.max)}, nil
	case !json.Valid(s.acc.bytes()):
		return record{n: n, err: fmt.Errorf("element %d is not valid JSON", n)}, nil
	}
	return record{n: n, body: bytes.Clone(s.acc.bytes())}, nil
}

// checkTrailing makes sure only whitespace follows the closing ']'; otherwise it queues an error
// record numbered s.n, so that the stray data shows in the results instead of vanishing.
func (s *splitter) checkTrailing() error {
	for {
		c, err := s.br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !isSpace(c) {
			s.pending = &record{n: s.n, err: fmt.Errorf("element %d: unexpected data after the array", s.n)}
			return nil
		}
	}
}

// accum gathers one record's text from fragments, dropping surrounding whitespace and keeping at
// most max bytes: a longer record is still measured, but not stored.
type accum struct {
	max     int
	buf     []byte
	content int // bytes seen since the first non-space byte
	trimmed int // content up to and including the last non-space byte
}

func (a *accum) reset() { a.buf, a.content, a.trimmed = a.buf[:0], 0, 0 }

func (a *accum) add(frag []byte) {
	if a.content == 0 {
		frag = bytes.TrimLeft(frag, jsonSpace)
	}
	if len(frag) == 0 {
		return
	}
	for j := len(frag) - 1; j >= 0; j-- {
		if !isSpace(frag[j]) {
			a.trimmed = a.content + j + 1
			break
		}
	}
	if room := a.max - len(a.buf); room > 0 {
		a.buf = append(a.buf, frag[:min(room, len(frag))]...)
	}
	a.content += len(frag)
}

func (a *accum) empty() bool   { return a.trimmed == 0 }
func (a *accum) tooLong() bool { return a.trimmed > a.max }
func (a *accum) bytes() []byte { return a.buf[:a.trimmed] }

// jsonSpace lists the whitespace bytes JSON allows between tokens.
const jsonSpace = " \t\r\n"

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
