"""Every user-visible text, in Simplified Chinese and English. HTML parse mode."""

from __future__ import annotations

from html import escape
from typing import Any

LANGUAGES = ("zh", "en")

_TEXTS: dict[str, tuple[str, str]] = {
    # --- general ---
    "help": (
        "我是{community}的服务机器人。\n"
        "📝 /report 报修(水电、电梯、路灯、公共设施……)\n"
        "📋 /my 查看我的报修进度、评价或取消\n"
        "👤 /profile 查看或修改登记信息\n"
        "🌐 /language 切换语言\n"
        "✖️ /cancel 放弃正在填写的内容\n"
        "网格员:在网格群里点「认领」接单,在私聊里处理。",
        "I am the service bot of {community}.\n"
        "📝 /report report a repair (water, power, lift, lights, public facilities…)\n"
        "📋 /my follow your requests, rate or cancel them\n"
        "👤 /profile see or change your registration\n"
        "🌐 /language switch language\n"
        "✖️ /cancel abandon what you are filling in\n"
        "Grid workers: press “Claim” on a card in your grid group, then work it here in private.",
    ),
    "menu.report": ("📝 报修", "📝 Report a repair"),
    "menu.my": ("📋 我的报修", "📋 My requests"),
    "error.generic": (
        "抱歉,出了点问题。您已填写的内容没有丢失,请再试一次。",
        "Sorry, something went wrong. Nothing you entered was lost; please try again.",
    ),
    "error.admin_report": (
        "⚠️ 处理消息时出错:{error}",
        "⚠️ Error while handling an update: {error}",
    ),
    "error.stale_button": (
        "这个按钮已经失效了。",
        "This button is no longer valid.",
    ),
    "error.private_only": (
        "请在与我的私聊中使用这个命令。",
        "Please use this command in a private chat with me.",
    ),
    "error.too_fast": (
        "您发得太快了,我还没处理完前面的消息。请稍等片刻,再把最后一条重新发一次。",
        "You are sending faster than I can answer. Please wait a moment, then send your last "
        "message again.",
    ),
    "error.pseudo_sender": (
        "请用您自己的账号操作(不要匿名或以频道身份)。",
        "Please act from your own account (not anonymously or as a channel).",
    ),
    "unknown": (
        "我没看懂。报修请发 /report,查看进度请发 /my,帮助请发 /help。",
        "I didn't understand that. Send /report to report a repair, /my for your requests, "
        "/help for help.",
    ),
    "nothing_to_cancel": ("现在没有需要取消的内容。", "There is nothing to cancel."),
    "btn.confirm": ("✅ 确认", "✅ Confirm"),
    "btn.cancel": ("✖️ 取消", "✖️ Cancel"),
    "btn.skip": ("跳过", "Skip"),
    "btn.done": ("完成", "Done"),
    # --- language ---
    "lang.choose": ("请选择语言 / Choose your language", "Choose your language / 请选择语言"),
    "lang.set": ("已切换为中文。", "Language set to English."),
    # --- registration ---
    "reg.welcome": (
        "欢迎使用{community}服务机器人!先花一分钟登记,网格员才知道去哪里为您服务。",
        "Welcome to the {community} service bot! Register once (a minute) so workers know "
        "where to come.",
    ),
    "reg.first": (
        "报修前请先登记一次(楼栋和房号)。",
        "Before your first report, please register once (building and unit).",
    ),
    "reg.ask_building": ("请选择您住的楼栋:", "Which building do you live in?"),
    "reg.ask_unit": (
        "楼栋:{building}。请输入单元和房号,例如 2-301。",
        "Building {building}. Now type your unit and room, for example 2-301.",
    ),
    "reg.unit_bad": (
        "请用文字输入单元和房号,不超过 {max} 个字,例如 2-301。",
        "Please type your unit and room as text, up to {max} characters, for example 2-301.",
    ),
    "reg.ask_phone": (
        "愿意留下电话方便网格员联系您吗?请点下方按钮分享,或点「跳过」。",
        "Would you share your phone so a worker can call you? Press the button below, or Skip.",
    ),
    "reg.phone_button": ("📱 分享我的电话", "📱 Share my phone"),
    "reg.phone_bad": (
        "请点下方「分享我的电话」按钮分享您自己的号码,或点「跳过」。",
        "Please share your own number with the “Share my phone” button, or press Skip.",
    ),
    "reg.confirm": (
        "请核对:\n楼栋:{building}\n房号:{unit}\n电话:{phone}\n信息正确吗?",
        "Please check:\nBuilding: {building}\nUnit: {unit}\nPhone: {phone}\nIs this right?",
    ),
    "reg.redo": ("✏️ 重新填写", "✏️ Start over"),
    "reg.no_phone": ("未留", "not given"),
    "reg.done": (
        "登记完成,谢谢!需要报修时发 /report 或点下方按钮。",
        "You are registered, thank you! To report a repair send /report or use the button below.",
    ),
    "profile.show": (
        "您的登记信息:\n姓名:{name}\n楼栋:{building}\n房号:{unit}\n电话:{phone}\n语言:中文",
        "Your registration:\nName: {name}\nBuilding: {building}\nUnit: {unit}\n"
        "Phone: {phone}\nLanguage: English",
    ),
    "profile.edit": ("✏️ 修改", "✏️ Change"),
    "profile.none": (
        "您还没有登记为居民。登记后就可以报修(楼栋和房号,约一分钟)。",
        "You are not registered as a resident. Register (building and unit, about a minute) "
        "to report repairs.",
    ),
    "profile.register": ("🏠 登记为居民", "🏠 Register as a resident"),
    # --- reporting a repair ---
    "report.ask_category": (
        "需要修什么?请选择类别。(随时发 /cancel 放弃)",
        "What needs repair? Choose a category. (Send /cancel at any time to stop.)",
    ),
    "report.ask_building": (
        "问题在哪栋楼?",
        "Which building is the problem in?",
    ),
    "report.own_building": ("🏠 {building}(我家)", "🏠 {building} (mine)"),
    "report.ask_description": (
        "请简单描述问题({min}–{max} 个字):什么坏了,具体在哪里。",
        "Describe the problem ({min}–{max} characters): what is broken and where exactly.",
    ),
    "report.description_bad": (
        "请用文字描述问题,{min}–{max} 个字(您输入了 {n} 个字)。",
        "Please describe the problem in text, {min}–{max} characters (you sent {n}).",
    ),
    "report.description_not_text": (
        "请用文字描述问题,{min}–{max} 个字。照片在下一步发送。",
        "Please describe the problem in text, {min}–{max} characters. Photos come next.",
    ),
    "report.ask_photos": (
        "可以发最多 {max} 张照片,帮助网格员了解情况;没有照片请点「跳过」。",
        "Send up to {max} photos so the worker can see the problem, or press Skip.",
    ),
    "report.photo_added": (
        "已收到第 {n}/{max} 张照片。可以继续发,或点「完成」。",
        "Photo {n}/{max} received. Send another or press Done.",
    ),
    "report.photo_bad": (
        "请发送照片,或点「跳过」/「完成」。",
        "Please send a photo, or press Skip / Done.",
    ),
    "report.summary": (
        "请核对您的报修:\n类别:{category}\n楼栋:{building}\n问题:{description}\n照片:{photos} 张\n"
        "确认提交吗?",
        "Please check your report:\nCategory: {category}\nBuilding: {building}\n"
        "Problem: {description}\nPhotos: {photos}\nSend it?",
    ),
    "report.duplicate": (
        "{building} 已有一条未完成的「{category}」报修:\n<b>{number}</b>:{description}\n"
        "提交于 {when},状态:{status}。\n是同一个问题吗?",
        "There is already an open “{category}” report in building {building}:\n"
        "<b>{number}</b>: {description}\nfiled {when}, status: {status}.\n"
        "Is it the same problem?",
    ),
    "report.same": ("👍 是同一个问题,关注它", "👍 Same problem — follow it"),
    "report.different": ("不是,是别的问题", "It's different"),
    "report.following": (
        "您已关注 <b>{number}</b>,进展会通知您。已记录您的反映,谢谢!",
        "You now follow <b>{number}</b> and will get its updates. Your report is counted — "
        "thank you!",
    ),
    "report.saved": (
        "已提交,编号 <b>{number}</b>。网格员会在 {deadline} 前认领,进展会在这里通知您(也可发 /my 查看)。",
        "Saved as <b>{number}</b>. A worker will claim it by {deadline}. You will get updates "
        "here; /my shows them too.",
    ),
    "report.already_saved": (
        "这份报修已经提交过了,发 /my 查看。",
        "This report was already sent; see /my.",
    ),
    "report.cancelled": ("已取消,没有保存任何内容。", "Cancelled. Nothing was saved."),
    "report.resume": (
        "您有一份没填完的内容,我们接着来:",
        "You have something half-filled in; let's continue:",
    ),
    "report.no_grid": (
        "抱歉,{building} 暂未划入任何网格,请联系社区工作人员。",
        "Sorry, building {building} is not in any grid yet; please contact the center.",
    ),
    # --- group card ---
    "card.body": (
        "🔧 <b>{number}</b> · {category}\n🏢 楼栋:{building}\n📝 {description}",
        "🔧 <b>{number}</b> · {category}\n🏢 Building: {building}\n📝 {description}",
    ),
    "card.followers": (
        "👥 另有 {n} 位居民反映了同一问题",
        "👥 {n} more resident(s) reported the same problem",
    ),
    "card.open": ("⏳ 待认领,期限 {deadline}", "⏳ Waiting for a worker, claim by {deadline}"),
    "card.reopened": (
        "⚠️ 居民反馈未修好,已重新打开,待认领",
        "⚠️ Reopened — the resident says it is not fixed; waiting for a worker",
    ),
    "card.claimed": ("👷 {name} 已于 {at} 认领", "👷 Claimed by {name} at {at}"),
    "card.resolved": ("✅ {name} 已处理,等待居民评价", "✅ Resolved by {name}, awaiting rating"),
    "card.closed": ("🏁 已完成,居民评价 {stars}★", "🏁 Closed, rated {stars}★"),
    "card.cancelled": ("✖️ 已取消", "✖️ Cancelled"),
    "card.claim": ("🙋 认领", "🙋 Claim"),
    "card.moved": (
        "⤵️ <b>{number}</b> 的卡片已在下方重新发出,这一份已过时。",
        "⤵️ <b>{number}</b> was posted again below; this copy is out of date.",
    ),
    "card.via_workers": (
        "(本网格未绑定群聊,已私信各位网格员)",
        "(This grid has no group chat, so each of its workers got this privately.)",
    ),
    "card.via_fallback": (
        "(网格「{grid}」平常的接收处暂时发不进去,所以发到这里)",
        "(Grid “{grid}”'s usual chat cannot be reached right now, so this came here.)",
    ),
    "card.via_admin": (
        "(网格「{grid}」没有网格员,请管理员安排)",
        "(Grid “{grid}” has no workers; an admin needs to arrange this.)",
    ),
    # --- claiming ---
    "claim.ok": (
        "您已认领 {number},详情已私信给您。",
        "You claimed {number}; details are in your private chat.",
    ),
    "claim.already": ("已被 {name} 认领。", "Already claimed by {name}."),
    "claim.yours": ("您已经认领了 {number}。", "You have already claimed {number}."),
    "claim.not_open": (
        "{number} 现在不需要认领({status})。",
        "{number} is not waiting for a worker ({status}).",
    ),
    "claim.refused": (
        "只有网格「{grid}」的网格员可以认领这条报修。",
        "Only workers of grid “{grid}” can claim this request.",
    ),
    "worker.details": (
        "📋 <b>{number}</b> · {category}\n🏢 {building} {unit}\n👤 {reporter}\n📞 {phone}\n"
        "📝 {description}\n⏰ 请在 {deadline} 前处理完。\n处理好后点「已解决」。",
        "📋 <b>{number}</b> · {category}\n🏢 {building} {unit}\n👤 {reporter}\n📞 {phone}\n"
        "📝 {description}\n⏰ Please resolve by {deadline}.\nPress “Resolved” when done.",
    ),
    "worker.resolve": ("✅ 已解决", "✅ Resolved"),
    "worker.hand_back": ("↩️ 退回", "↩️ Hand back"),
    "worker.add_note": ("📝 添加备注", "📝 Add note"),
    "worker.open_private": (
        "{mention},我无法私信您 {number} 的详情(电话、房号)。请点下方按钮打开与我的私聊,详情会立即发给您。",
        "{mention}, I can't message you the details of {number} (phone, unit). Press the "
        "button to open a private chat with me and they will arrive at once.",
    ),
    "worker.open_private_button": ("💬 打开私聊", "💬 Open private chat"),
    # --- staff ---
    "staff.hello": ("👋 您好,{name}!", "👋 Hello {name}!"),
    "staff.worker_group": (
        "您是「{grid}」的网格员(楼栋:{buildings})。本网格的新报修会以卡片形式发到网格群。",
        "You are a grid worker of “{grid}” (buildings {buildings}). New requests of the grid "
        "appear as cards in the grid's group chat.",
    ),
    "staff.worker_private": (
        "您是「{grid}」的网格员(楼栋:{buildings})。本网格没有群聊,新报修的卡片会直接私信给您。",
        "You are a grid worker of “{grid}” (buildings {buildings}). The grid has no group "
        "chat, so its new requests come to you here as cards.",
    ),
    "staff.admin": (
        "您是管理员:可以认领和处理所有网格的报修;无人负责的报修和出错报告会发到管理群。",
        "You are an admin: you can claim and work requests of every grid; requests nobody can "
        "take and error reports go to the admin chat.",
    ),
    "staff.claims": (
        "您正在处理的报修({n} 条),点 🔎 查看进展并处理:",
        "Requests you are working on ({n}); press 🔎 to see one and work it:",
    ),
    "staff.claim_item": (
        "• <b>{number}</b> · {category} · {building},期限 {deadline}",
        "• <b>{number}</b> · {category} · {building}, resolve by {deadline}",
    ),
    "staff.more": ("……另有 {n} 条", "…and {n} more"),
    "staff.no_claims": ("您现在没有正在处理的报修。", "You have no open requests right now."),
    "staff.can_do": (
        "怎么做:在卡片上点「🙋 认领」;居民的电话和房号会私信到这里,附带「✅ 已解决」「📝 添加备注」「↩️ 退回」按钮。",
        "How it works: press “🙋 Claim” on a card; the resident's phone and unit then come "
        "here with “✅ Resolved”, “📝 Add note” and “↩️ Hand back”.",
    ),
    "staff.resident_hint": (
        "如果您也住在本社区、想自己报修,请发 /profile 登记为居民。",
        "If you also live here and want to report repairs yourself, register as a resident "
        "with /profile.",
    ),
    "worker.not_assignee": (
        "只有认领 {number} 的网格员可以这样操作。",
        "Only the worker who claimed {number} can do this.",
    ),
    "worker.not_claimed": (
        "{number} 现在是「{status}」状态,这个按钮已不适用。",
        "{number} is “{status}” now; this button no longer applies.",
    ),
    "resolve.ask_note": (
        "{number} 做了什么处理?请简单写一下(不超过 {max} 字),会告诉居民。",
        "What was done for {number}? Write a short note (up to {max} characters); the "
        "resident will see it.",
    ),
    "resolve.note_bad": (
        "请用文字写处理说明,1–{max} 个字。",
        "Please write the note as text, 1–{max} characters.",
    ),
    "resolve.ask_photo": (
        "可以发一张处理后的照片,或点「跳过」。",
        "Send a photo of the result, or press Skip.",
    ),
    "resolve.photo_bad": ("请发送照片,或点「跳过」。", "Please send a photo, or press Skip."),
    "resolve.done": (
        "{number} 已标记为解决,已请居民评价。谢谢!",
        "{number} is marked resolved and the resident is asked to rate it. Thank you!",
    ),
    "handback.done": (
        "您已退回 {number},网格内其他人可以重新认领。",
        "You handed {number} back; it is open for the grid again.",
    ),
    "note.ask": (
        "请输入 {number} 的备注(不超过 {max} 字),会告诉居民:",
        "Type the note for {number} (up to {max} characters); the resident will see it:",
    ),
    "note.saved": ("备注已记录并告知居民。", "Note saved and sent to the resident."),
    # --- resident notices ---
    "notice.claimed": (
        "您的报修 <b>{number}</b> 已由 {name} 认领,预计 {deadline} 前处理完。",
        "Your request <b>{number}</b> was claimed by {name}. Expected to be resolved by "
        "{deadline}.",
    ),
    "notice.note": (
        "<b>{number}</b> 的进展({name}):{note}",
        "<b>{number}</b> update from {name}: {note}",
    ),
    "notice.resolved": (
        "<b>{number}</b> 已由 {name} 处理:{note}\n修好了吗?请打分(1–5 星),或告诉我们没修好。",
        "<b>{number}</b> was resolved by {name}: {note}\nIs it fixed? Please rate it (1–5 "
        "stars), or tell us it is not fixed.",
    ),
    "notice.resolved_follower": (
        "您关注的 <b>{number}</b> 已由 {name} 处理:{note}",
        "<b>{number}</b>, which you follow, was resolved by {name}: {note}",
    ),
    "notice.reopened_follower": (
        "您关注的 <b>{number}</b> 被反馈未修好,已重新打开。",
        "<b>{number}</b>, which you follow, was reported not fixed and is reopened.",
    ),
    "notice.closed_follower": (
        "您关注的 <b>{number}</b> 已完成。",
        "<b>{number}</b>, which you follow, is closed.",
    ),
    "notice.cancelled_follower": (
        "您关注的 <b>{number}</b> 已被报修人取消。如果问题还在,请发 /report 重新报修。",
        "<b>{number}</b>, which you follow, was cancelled by its reporter. If the problem "
        "is still there, please send /report.",
    ),
    "btn.not_fixed": ("❌ 没修好", "❌ Not fixed"),
    "rate.thanks": (
        "谢谢您的评价!<b>{number}</b> 已完成({stars}★)。",
        "Thank you! <b>{number}</b> is closed with {stars}★.",
    ),
    "rate.not_yours": (
        "只有报修人可以评价 {number}。",
        "Only the resident who reported {number} can rate it.",
    ),
    "rate.not_resolved": (
        "{number} 现在是「{status}」状态,不能评价。",
        "{number} is “{status}” now and cannot be rated.",
    ),
    "notfixed.ok": (
        "抱歉还没修好。<b>{number}</b> 已重新打开,网格员已收到通知。",
        "Sorry it is not fixed. <b>{number}</b> is reopened and the grid has been told.",
    ),
    "group.reopened": (
        "⚠️ <b>{number}</b>({building})居民反馈未修好,已重新打开,请重新认领。",
        "⚠️ <b>{number}</b> ({building}) was reopened: the resident says it is not fixed. "
        "Please claim it again.",
    ),
    "worker.rated": (
        "居民给 <b>{number}</b> 打了 {stars}★。辛苦了!",
        "The resident rated <b>{number}</b> {stars}★. Thank you for your work!",
    ),
    "worker.reopened": (
        "<b>{number}</b> 被居民反馈未修好,已重新打开。",
        "<b>{number}</b> was reopened: the resident says it is not fixed.",
    ),
    "worker.cancelled": (
        "<b>{number}</b> 已被居民取消,无需继续处理。",
        "<b>{number}</b> was cancelled by the resident; no need to continue.",
    ),
    # --- follow up ---
    "my.empty": (
        "您还没有报修。发 /report 报修。",
        "You have no requests yet. Send /report to file one.",
    ),
    "my.header": ("您的报修(最近 {n} 条):", "Your requests (latest {n}):"),
    "my.item": (
        "<b>{number}</b> · {category} · {building}\n状态:{status}",
        "<b>{number}</b> · {category} · {building}\nStatus: {status}",
    ),
    "my.following": ("(关注)", "(following)"),
    "my.details": ("🔎 {number}", "🔎 {number}"),
    "my.cancel": ("✖️ 取消 {number}", "✖️ Cancel {number}"),
    "timeline.header": (
        "<b>{number}</b> · {category} · {building}\n{description}\n状态:{status}\n",
        "<b>{number}</b> · {category} · {building}\n{description}\nStatus: {status}\n",
    ),
    "cancel.sure": (
        "确定取消 <b>{number}</b> 吗?网格员将停止处理。",
        "Cancel <b>{number}</b>? Workers will stop working on it.",
    ),
    "cancel.yes": ("是的,取消", "Yes, cancel it"),
    "cancel.done": ("<b>{number}</b> 已取消。", "<b>{number}</b> is cancelled."),
    "cancel.refused": (
        "{number} 现在是「{status}」状态,不能再取消。",
        "{number} is “{status}” now and can no longer be cancelled.",
    ),
    "cancel.not_yours": (
        "只有报修人可以取消 {number}。",
        "Only the reporter can cancel {number}.",
    ),
    # --- paging ---
    "page.of": ("第 {page}/{count} 页", "Page {page}/{count}"),
    "page.previous": ("◀️ 上一页", "◀️ Previous"),
    "page.next": ("下一页 ▶️", "Next ▶️"),
    # --- admin chat ---
    "admin.group_unreachable": (
        "⚠️ 机器人无法在群 {chat}(网格:{grid})发消息:{reason}\n"
        "在恢复之前,发往这个群的报修卡片会改为私信给本网格的网格员(没有网格员时发到这里)。"
        "请把机器人重新拉进群并在群里发一条消息,或在配置中改正 group_chat_id。",
        "⚠️ The bot cannot post to group {chat} (grid: {grid}): {reason}\n"
        "Until that is fixed, the cards meant for it go to the grid's workers privately (or "
        "here, if it has none). Add the bot to the group again and send any message there, or "
        "correct group_chat_id in the configuration.",
    ),
    "admin.undeliverable": (
        "⚠️ 一条发往 {chat} 的消息无法送达:{error}\n已记录为发送失败(outbox #{row})。",
        "⚠️ A message to chat {chat} could not be delivered: {error}\n"
        "It is kept as failed (outbox row {row}).",
    ),
    # --- statuses and events ---
    "status.open": ("待认领", "waiting for a worker"),
    "status.claimed": ("处理中", "being worked on"),
    "status.resolved": ("已处理,待评价", "resolved, awaiting rating"),
    "status.reopened": ("重新打开,待认领", "reopened, waiting for a worker"),
    "status.closed": ("已完成", "closed"),
    "status.cancelled": ("已取消", "cancelled"),
    "status.duplicate": ("已合并", "merged"),
    "event.filed": ("提交", "filed"),
    "event.claim": ("{name} 认领", "claimed by {name}"),
    "event.hand_back": ("{name} 退回", "handed back by {name}"),
    "event.note": ("{name} 备注:{note}", "note from {name}: {note}"),
    "event.resolve": ("{name} 处理完成:{note}", "resolved by {name}: {note}"),
    "event.rate": ("评价 {stars}★", "rated {stars}★"),
    "event.not_fixed": ("居民反馈未修好,重新打开", "reopened: not fixed"),
    "event.cancel": ("已取消", "cancelled"),
    "event.follow": ("另一位居民反映了同一问题", "another resident reported the same problem"),
}


def t(lang: str, key: str, **params: Any) -> str:
    """The text for `key` in `lang` (zh unless en), with params; str params are HTML-escaped.

    Pass markup that must survive (a user mention) wrapped in `Markup`.
    """
    zh, en = _TEXTS[key]
    template = en if lang == "en" else zh
    safe = {k: v if isinstance(v, Markup) else _escape(v) for k, v in params.items()}
    return template.format(**safe)


def both(key: str, **params: Any) -> tuple[str, str]:
    return t("zh", key, **params), t("en", key, **params)


def keys() -> list[str]:
    return list(_TEXTS)


def raw(key: str) -> tuple[str, str]:
    return _TEXTS[key]


class Markup(str):
    """A string that is already safe HTML."""

    __slots__ = ()


def _escape(value: Any) -> Any:
    return escape(value, quote=False) if isinstance(value, str) else value


def pick_language(telegram_code: str | None) -> str:
    """zh for any Chinese Telegram client, en otherwise."""
    return "zh" if telegram_code and telegram_code.lower().startswith("zh") else "en"
