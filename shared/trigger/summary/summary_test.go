package summary

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/result"
)

func TestAddOutcomes(t *testing.T) {
	jobs := []flows.Job{
		{RecordID: "m-1", Body: []byte(`{"Mobile":"13800000000"}`)},
		{RecordID: "m-2"},
		{RecordID: "m-3"},
	}
	tests := []struct {
		name      string
		outs      []flows.Outcome
		wantErr   bool
		statuses  string
		retryable int
		lines     int
	}{
		{name: "all final", outs: []flows.Outcome{
			{RecordID: "m-1", Status: flows.StatusCreated, Message: &result.Message{ID: "msg_1"}},
			{RecordID: "m-2", Status: flows.StatusRejected, Err: errors.New("invalid")},
			{Status: flows.StatusFailed}, // the record id falls back to the job's
		}, statuses: "m-1=created,m-2=rejected,m-3=failed", lines: 3},
		{name: "ordered stop", outs: []flows.Outcome{
			{RecordID: "m-1", Status: flows.StatusCreated, Replayed: true},
			{RecordID: "m-2", Status: flows.StatusRetryable, Retryable: true},
			{RecordID: "m-3", Status: flows.StatusNotProcessed, Retryable: true},
		}, statuses: "m-1=created,m-2=retryable,m-3=not_processed", retryable: 2, lines: 3},
		{name: "too few outcomes", outs: []flows.Outcome{{RecordID: "m-1", Status: flows.StatusCreated}}, wantErr: true,
			statuses: "m-1=not_processed,m-2=not_processed,m-3=not_processed", retryable: 3, lines: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := New("sqs")
			err := s.AddOutcomes(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), jobs, tt.outs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			var got []string
			for _, r := range s.Records {
				got = append(got, r.RecordID+"="+r.Status)
			}
			if strings.Join(got, ",") != tt.statuses || s.Retryable != tt.retryable {
				t.Fatalf("records %v retryable %d; want %s %d", got, s.Retryable, tt.statuses, tt.retryable)
			}
			if (s.Err() != nil) != (tt.retryable > 0) || (s.Err() != nil && !errors.Is(s.Err(), ErrRetryable)) {
				t.Fatalf("Err() = %v", s.Err())
			}
			if n := strings.Count(logs.String(), "\n"); n != tt.lines {
				t.Fatalf("%d log lines, want %d:\n%s", n, tt.lines, logs.String())
			}
			if strings.Contains(logs.String(), "13800000000") {
				t.Fatalf("a body reached the logs: %s", logs.String())
			}
		})
	}
}

func TestAddObject(t *testing.T) {
	ref := objects.Ref{Store: "cos", Bucket: "in-1250000000", Key: "a.jsonl"}
	tests := []struct {
		name      string
		rep       objects.Report
		err       error
		want      string
		retryable bool
	}{
		{"processed", objects.Report{ResultsKey: "a.results.jsonl", Requests: 2, Created: 1, Rejected: 1}, nil,
			`{"recordId":"cos://in-1250000000/a.jsonl","status":"processed","retryable":false,"resultsKey":"a.results.jsonl","requests":2,"created":1,"rejected":1}`, false},
		{"retryable requests", objects.Report{Requests: 2, Created: 1, Retryable: 1}, nil,
			`{"recordId":"cos://in-1250000000/a.jsonl","status":"retryable","retryable":true,"requests":2,"created":1,"retryableRequests":1}`, true},
		{"skipped", objects.Report{Skipped: true, SkipReason: "results object"}, nil,
			`{"recordId":"cos://in-1250000000/a.jsonl","status":"skipped","retryable":false,"skipReason":"results object"}`, false},
		{"error", objects.Report{}, errors.New("get object: EOF"),
			`{"recordId":"cos://in-1250000000/a.jsonl","status":"retryable","retryable":true}`, true},
	}
	for _, tt := range tests {
		s := New("cos")
		s.AddObject(context.Background(), nil, ref, tt.rep, tt.err)
		raw, _ := json.Marshal(s.Records[0])
		if string(raw) != tt.want || (s.Retryable == 1) != tt.retryable {
			t.Errorf("%s: %s (retryable %d)\nwant %s", tt.name, raw, s.Retryable, tt.want)
		}
	}
}

func TestEmptySummaryJSON(t *testing.T) {
	raw, _ := json.Marshal(New("timer"))
	if string(raw) != `{"trigger":"timer","records":[],"retryable":0}` {
		t.Fatalf("got %s", raw)
	}
}

// TestObjectsWithoutProcessor ensures a storage event with objects but no object processor is
// an error, while one with only unreadable or ignored records is answered.
func TestObjectsWithoutProcessor(t *testing.T) {
	ref := objects.Ref{Store: "s3", Bucket: "b", Key: "in/x.ndjson"}
	if _, err := Objects(context.Background(), nil, "s3", nil, []objects.Ref{ref}, nil, nil); err == nil || errors.Is(err, ErrRetryable) {
		t.Errorf("objects without a processor: err = %v, want a plain error", err)
	}
	s, err := Objects(context.Background(), nil, "s3", nil, nil,
		[]Skipped{{RecordID: "record[0]", Reason: errors.New("no key")}},
		[]Skipped{{RecordID: "s3://b/k", Reason: errors.New("not a creation")}})
	if err != nil || len(s.Records) != 2 || s.Retryable != 0 {
		t.Fatalf("summary %+v, err %v", s, err)
	}
}
