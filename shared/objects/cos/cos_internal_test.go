package cos

import "testing"

func TestBucketURL(t *testing.T) {
	tests := []struct {
		tmpl, bucket, region string
		want                 string
		wantErr              bool
	}{
		{DefaultBaseURL, "requests-1250000000", "ap-guangzhou", "https://requests-1250000000.cos.ap-guangzhou.myqcloud.com", false},
		{"http://127.0.0.1:9000/{bucket}", "b-1", "", "http://127.0.0.1:9000/b-1", false},
		{"ftp://{bucket}.example.com", "b-1", "", "", true},
		{"/{bucket}", "b-1", "", "", true},
		{"http://[::1", "b-1", "", "", true},
	}
	for _, tc := range tests {
		u, err := bucketURL(tc.tmpl, tc.bucket, tc.region)
		if (err != nil) != tc.wantErr {
			t.Errorf("bucketURL(%q) error = %v, want error %v", tc.tmpl, err, tc.wantErr)
			continue
		}
		if err == nil && u.String() != tc.want {
			t.Errorf("bucketURL(%q) = %s, want %s", tc.tmpl, u, tc.want)
		}
	}
}
