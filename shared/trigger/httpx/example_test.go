package httpx_test

import (
	"fmt"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/trigger/httpx"
)

// A gateway adapter turns its event into a Request, lets ToJob check it, and renders the
// processor's outcome.
func ExampleToJob() {
	req := httpx.Request{
		Trigger: "apigw", Method: "POST", Path: "/flows", RequestID: "req-1",
		Headers: map[string]string{"content-type": "application/json", "idempotency-key": "order-42"},
		Body:    []byte(`{"Agent":{"AppId":"app"},"FlowInfos":[]}`),
	}
	job, refused := httpx.ToJob(req, 0)
	fmt.Println(refused == nil, job.RecordID, job.IdempotencyKey)

	req.Method = "GET"
	_, refused = httpx.ToJob(req, 0)
	fmt.Println(refused.Status, refused.Headers["Allow"])
	// Output:
	// true req-1 order-42
	// 405 POST
}

func ExampleRender() {
	o := flows.Outcome{
		Status: flows.StatusRejected, HTTPStatus: 409,
		Message: &result.Message{ID: "msg_1", Correlation: result.Correlation{IdempotencyKey: "order-42"},
			Error: &result.Error{Code: "essflow.IdempotencyConflict",
				Message: "the key was used with another body", MessageZH: "该幂等键已用于不同的请求体"}},
	}
	r := httpx.Render(o, "zh-CN,zh;q=0.9,en;q=0.8")
	fmt.Println(r.Status, r.Headers["Content-Type"])
	fmt.Println(string(r.Body))
	// Output:
	// 409 application/json; charset=utf-8
	// {"Error":{"Code":"essflow.IdempotencyConflict","Message":"该幂等键已用于不同的请求体"},"Outcome":{"status":"rejected","resultId":"msg_1","idempotencyKey":"order-42","replayed":false}}
}

func ExamplePreferChinese() {
	fmt.Println(httpx.PreferChinese("zh-CN,zh;q=0.9,en;q=0.8"))
	fmt.Println(httpx.PreferChinese("en-US,zh;q=0.9"))
	fmt.Println(httpx.PreferChinese("*"))
	// Output:
	// true
	// false
	// false
}
