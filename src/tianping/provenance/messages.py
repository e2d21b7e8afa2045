"""Everything a person reads from the provenance commands, in English and Chinese."""

from __future__ import annotations

from ..i18n import register_messages

MESSAGES = {
    "pv_verdict_confirmed": {"en": "AI-generated (confirmed)", "zh": "属于生成合成内容"},
    "pv_verdict_possibly": {"en": "possibly AI-generated", "zh": "可能为生成合成内容"},
    "pv_verdict_suspected": {"en": "suspected AI-generated", "zh": "疑似生成合成内容"},
    "pv_verdict_none": {"en": "no sign of AI generation found", "zh": "未发现生成合成标识"},
    "pv_file": {"en": "File", "zh": "文件"},
    "pv_format": {"en": "Format", "zh": "格式"},
    "pv_verdict": {"en": "Verdict", "zh": "判定"},
    "pv_explicit": {"en": "Explicit label", "zh": "显式标识"},
    "pv_implicit": {"en": "Implicit label", "zh": "隐式标识"},
    "pv_signature": {"en": "Signature", "zh": "签名"},
    "pv_found": {"en": "found", "zh": "已发现"},
    "pv_not_found": {"en": "not found", "zh": "未发现"},
    "pv_not_checked": {"en": "not checked", "zh": "未检测"},
    "pv_none": {"en": "none", "zh": "无"},
    "pv_sig_absent": {"en": "unsigned", "zh": "未签名"},
    "pv_sig_valid": {"en": "valid", "zh": "有效"},
    "pv_sig_invalid": {"en": "INVALID (label altered or forged)", "zh": "无效（标识被篡改或伪造）"},
    "pv_sig_content_mismatch": {"en": "INVALID (content changed or label moved)", "zh": "无效（内容已改动或标识被移用）"},
    "pv_sig_malformed": {"en": "malformed", "zh": "格式错误"},
    "pv_sig_not_tianping": {"en": "other scheme (not verified)", "zh": "其他方案（未验证）"},
    "pv_trusted": {"en": "trusted key", "zh": "可信密钥"},
    "pv_untrusted": {"en": "key not pinned", "zh": "密钥未固定"},
    "pv_error": {"en": "error: {msg}", "zh": "错误：{msg}"},
    "pv_summary": {"en": "{files} files: {confirmed} confirmed, {possibly} possibly, {suspected} suspected, {none} without signs; "
                         "{sig_ok} valid signatures, {sig_bad} failed; {errors} unreadable.",
                   "zh": "共 {files} 个文件：属于 {confirmed}，可能为 {possibly}，疑似 {suspected}，未发现 {none}；"
                         "签名有效 {sig_ok}，签名失效 {sig_bad}；无法读取 {errors}。"},
    "pv_missing_fields": {"en": "missing producer fields: {fields}", "zh": "缺少制作要素字段：{fields}"},
    "pv_labelled": {"en": "Labelled {path} ({fmt}).", "zh": "已为 {path}（{fmt}）添加标识。"},
    "pv_added_explicit": {"en": "Explicit label: {detail}", "zh": "显式标识：{detail}"},
    "pv_added_implicit": {"en": "Implicit label (AIGC): producer {producer}, content number {pid}", "zh": "隐式标识（AIGC）：制作方 {producer}，内容编号 {pid}"},
    "pv_signed": {"en": "Signed with key {fp}", "zh": "已使用密钥 {fp} 签名"},
    "pv_c2pa_added": {"en": "C2PA manifest embedded (local certificate: valid, not publicly trusted).",
                      "zh": "已嵌入 C2PA 清单（本地证书：可验证，但非公共信任）。"},
    "pv_propagated": {"en": "Added propagation fields to {path}: platform {prop}, number {pid}",
                      "zh": "已为 {path} 补充传播要素：平台 {prop}，传播编号 {pid}"},
    "pv_note": {"en": "Note: {msg}", "zh": "注意：{msg}"},
    "pv_c2pa": {"en": "C2PA", "zh": "C2PA"},
    "pv_c2pa_trusted": {"en": "valid, trusted", "zh": "有效且可信"},
    "pv_c2pa_valid": {"en": "valid (signer not trusted)", "zh": "有效（签名者未受信任）"},
    "pv_c2pa_invalid": {"en": "INVALID (file changed after signing)", "zh": "无效（签名后文件被改动）"},
    "pv_c2pa_error": {"en": "unreadable", "zh": "无法读取"},
    "pv_wm_z": {"en": "z = {z} over {n} scored tokens (threshold {thr}): {verdict}",
                "zh": "z = {z}，计分词元 {n} 个（阈值 {thr}）：{verdict}"},
    "pv_wm_yes": {"en": "watermark detected", "zh": "检测到水印"},
    "pv_wm_no": {"en": "no watermark detected", "zh": "未检测到水印"},
    "pv_wm_short": {"en": "too short to decide (need {min} scored tokens)", "zh": "文本过短，无法判定（至少需要 {min} 个计分词元）"},
    "pv_wm_generated": {"en": "Generated {n} texts with the watermark (key fingerprint {fp}).",
                        "zh": "已生成 {n} 段带水印文本（密钥指纹 {fp}）。"},
    "pv_wm_generated_plain": {"en": "Generated {n} texts without a watermark.", "zh": "已生成 {n} 段不带水印的文本。"},
}

register_messages(MESSAGES)
