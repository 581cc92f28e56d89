package sandbox

import "strings"

const (
	defaultDescribeLimit = 20
	maxDescribeLimit     = 100
	maxDescribeOffset    = 20000
	maxDescribeIDs       = 100
)

type describeRequest struct {
	Agent              *agent    `json:"Agent"`
	TemplateID         *string   `json:"TemplateId"`
	TemplateIDs        []*string `json:"TemplateIds"`
	ContentType        *int64    `json:"ContentType"`
	Limit              *uint64   `json:"Limit"`
	Offset             *uint64   `json:"Offset"`
	TemplateName       *string   `json:"TemplateName"`
	ChannelTemplateID  *string   `json:"ChannelTemplateId"`
	QueryAllComponents *bool     `json:"QueryAllComponents"`
	WithPreviewURL     *bool     `json:"WithPreviewUrl"`
	WithPdfURL         *bool     `json:"WithPdfUrl"`
	UserFlowTypeID     *string   `json:"UserFlowTypeId"`
	Operator           *userInfo `json:"Operator"`
}

type recipientInfo struct {
	RecipientID   string `json:"RecipientId"`
	RecipientType string `json:"RecipientType"`
	RoleName      string `json:"RoleName"`
	RoutingOrder  int64  `json:"RoutingOrder"`
	IsPromoter    bool   `json:"IsPromoter"`
	RequireSign   bool   `json:"RequireSign"`
}

type componentInfo struct {
	ComponentID          string `json:"ComponentId"`
	ComponentName        string `json:"ComponentName"`
	ComponentType        string `json:"ComponentType"`
	ComponentRequired    bool   `json:"ComponentRequired"`
	ComponentRecipientID string `json:"ComponentRecipientId"`
	FileIndex            int64  `json:"FileIndex"`
	GenerateMode         string `json:"GenerateMode"`
}

type templateInfo struct {
	TemplateID     string          `json:"TemplateId"`
	TemplateName   string          `json:"TemplateName"`
	Description    string          `json:"Description"`
	Components     []componentInfo `json:"Components,omitempty"`
	Recipients     []recipientInfo `json:"Recipients,omitempty"`
	SignComponents []componentInfo `json:"SignComponents,omitempty"`
	TemplateType   int64           `json:"TemplateType"`
	Available      int64           `json:"Available"`
}

type describeResponse struct {
	Templates  []templateInfo `json:"Templates"`
	TotalCount int64          `json:"TotalCount"`
	Limit      int64          `json:"Limit"`
	Offset     int64          `json:"Offset"`
	RequestID  string         `json:"RequestId"`
}

// describeTemplates handles DescribeTemplates over the catalogue: filters by TemplateId,
// TemplateIds and a TemplateName substring, pages with Limit (default 20, at most 100) and
// Offset (at most 20000); ContentType 1 lists without recipients and controls, and signing
// controls are included only with QueryAllComponents.
func (s *Server) describeTemplates(c *call) (any, *APIError) {
	var req describeRequest
	if e := decodeStrict(c.body, &req); e != nil {
		return nil, e
	}
	if e := s.checkAgent(req.Agent); e != nil {
		return nil, e
	}
	limit, offset := uint64(defaultDescribeLimit), uint64(0)
	switch {
	case req.Limit != nil && (*req.Limit == 0 || *req.Limit > maxDescribeLimit):
		return nil, apiErr(CodeInvalidParameterValue, "the value of `Limit` must be between 1 and %d", maxDescribeLimit)
	case req.Offset != nil && *req.Offset > maxDescribeOffset:
		return nil, apiErr(CodeInvalidParameterValue, "the value of `Offset` must not exceed %d", maxDescribeOffset)
	case len(req.TemplateIDs) > maxDescribeIDs:
		return nil, apiErr(CodeInvalidParameterValue, "`TemplateIds` holds more than %d ids", maxDescribeIDs)
	case req.ContentType != nil && *req.ContentType != 0 && *req.ContentType != 1:
		return nil, apiErr(CodeInvalidParameterValue, "the value of `ContentType` must be 0 or 1")
	}
	if req.Limit != nil {
		limit = *req.Limit
	}
	if req.Offset != nil {
		offset = *req.Offset
	}
	want := map[string]bool{}
	if id := str(req.TemplateID); id != "" {
		want[id] = true
	}
	for _, id := range req.TemplateIDs {
		if str(id) != "" {
			want[*id] = true
		}
	}
	listOnly := req.ContentType != nil && *req.ContentType == 1
	allComponents := req.QueryAllComponents != nil && *req.QueryAllComponents

	var matched []templateInfo
	for _, id := range s.order {
		t := s.templates[id]
		if len(want) > 0 && !want[id] {
			continue
		}
		if name := str(req.TemplateName); name != "" && !strings.Contains(t.TemplateName, name) {
			continue
		}
		info := templateInfo{TemplateID: t.TemplateID, TemplateName: t.TemplateName, Description: t.Description, TemplateType: 3, Available: 1}
		if !listOnly {
			for _, rc := range t.Recipients {
				info.Recipients = append(info.Recipients, recipientInfo{
					RecipientID: rc.RecipientID, RecipientType: rc.RecipientType, RoleName: rc.RoleName,
					RoutingOrder: rc.RoutingOrder, IsPromoter: rc.IsPromoter, RequireSign: true,
				})
			}
			info.Components = componentInfos(t.Components)
			if allComponents {
				info.SignComponents = componentInfos(t.SignComponents)
			}
		}
		matched = append(matched, info)
	}
	resp := &describeResponse{Templates: []templateInfo{}, TotalCount: int64(len(matched)), Limit: int64(limit), Offset: int64(offset), RequestID: c.requestID}
	if offset < uint64(len(matched)) {
		end := min(uint64(len(matched)), offset+limit)
		resp.Templates = matched[offset:end]
	}
	return resp, nil
}

func componentInfos(cs []Component) []componentInfo {
	out := make([]componentInfo, 0, len(cs))
	for _, c := range cs {
		out = append(out, componentInfo{
			ComponentID: c.ComponentID, ComponentName: c.ComponentName, ComponentType: c.ComponentType,
			ComponentRequired: c.ComponentRequired, ComponentRecipientID: c.ComponentRecipientID, GenerateMode: "FIELD",
		})
	}
	return out
}
