// The installer's backup panel.
import type en from "./backup.en";

export default {
  "backup.title": "备份",
  "backup.hint": "每晚在数据库旁的 {folder} 中写入一份数据库备份；保留最近 7 天和 4 周的备份。备份中从不包含 till.key：请另行妥善保存一份。",
  "backup.hour": "每晚备份时间（本地小时，0–23）",
  "backup.offset": "本地时间与 UTC 之差（分钟，例如中国为 480）",
  "backup.secondTarget": "另存一份到此文件夹（已挂载的 U 盘或网络共享；留空表示不另存）",
  "backup.secondTargetHint": "该文件夹必须已存在：Till 从不创建它，因此未挂载的磁盘会被报告，而不会被写入。",
  "backup.save": "保存",
  "backup.saved": "备份设置已保存。",
  "backup.invalid": "请输入 0 到 23 之间的小时数，以及 -840 到 840 之间的分钟偏移。",
  "backup.now": "立即备份",
  "backup.running": "正在备份…",
  "backup.never": "尚无备份。",
  "backup.lastOk": "上次备份 {when}：{file}（{size} MB）",
  "backup.lastFailed": "上次备份 {when} 失败：{error}",
  "backup.secondOk": "第二份副本：{message}",
  "backup.secondFailed": "第二份副本失败：{message}",
  "backup.next": "下次每晚备份：{when}",
  "backup.files": "保留的备份",
} as const satisfies Record<keyof typeof en, string>;
