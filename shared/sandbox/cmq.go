package sandbox

import "unicode/utf8"

const (
	maxQueueNameLen  = 64
	maxMsgContentLen = 1 << 20
	maxDelaySeconds  = 3600
)

type sendCmqRequest struct {
	QueueName    *string `json:"QueueName"`
	MsgContent   *string `json:"MsgContent"`
	DelaySeconds *int64  `json:"DelaySeconds"`
}

type sendCmqResponse struct {
	Result    bool   `json:"Result"`
	MsgID     string `json:"MsgId"`
	RequestID string `json:"RequestId"`
}

// sendCmqMsg handles TDMQ's SendCmqMsg: it needs X-TC-Region and QueueName, MsgContent and
// DelaySeconds, creates unknown queues on first use, and stores the message.
func (s *Server) sendCmqMsg(c *call) (any, *APIError) {
	region := c.r.Header.Get("X-TC-Region")
	if region == "" {
		return nil, apiErr(CodeMissingParameter, "the request is missing a required parameter `Region` (X-TC-Region)")
	}
	var req sendCmqRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return nil, e
	}
	switch {
	case req.QueueName == nil:
		return nil, apiErr(CodeMissingParameter, "the request is missing a required parameter `QueueName`")
	case req.MsgContent == nil:
		return nil, apiErr(CodeMissingParameter, "the request is missing a required parameter `MsgContent`")
	case req.DelaySeconds == nil:
		return nil, apiErr(CodeMissingParameter, "the request is missing a required parameter `DelaySeconds`")
	case !validQueueName(*req.QueueName):
		return nil, apiErr(CodeInvalidParameterValue, "`QueueName` must be 1 to %d letters, digits, - or _, starting with a letter", maxQueueNameLen)
	case len(*req.MsgContent) == 0 || len(*req.MsgContent) > maxMsgContentLen || !utf8.ValidString(*req.MsgContent):
		return nil, apiErr(CodeInvalidParameterValue, "`MsgContent` must be 1 byte to 1 MiB of UTF-8 text")
	case *req.DelaySeconds < 0 || *req.DelaySeconds > maxDelaySeconds:
		return nil, apiErr(CodeInvalidParameterValue, "`DelaySeconds` must be between 0 and %d", maxDelaySeconds)
	}
	msg := CMQMessage{
		MsgID: "msg-" + s.newID()[3:], QueueName: *req.QueueName, MsgContent: *req.MsgContent,
		DelaySeconds: *req.DelaySeconds, Region: region, SentAt: c.now, RequestID: c.requestID,
	}
	s.mu.Lock()
	s.queues[msg.QueueName] = append(s.queues[msg.QueueName], msg)
	s.mu.Unlock()
	return &sendCmqResponse{Result: true, MsgID: msg.MsgID, RequestID: c.requestID}, nil
}

func validQueueName(n string) bool {
	if n == "" || len(n) > maxQueueNameLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		ch := n[i]
		letter := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(ch >= '0' && ch <= '9') && ch != '-' && ch != '_' {
			return false
		}
	}
	return true
}
