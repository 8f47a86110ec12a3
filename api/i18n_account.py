"""Labels of signing in and of the account page, merged into :data:`api.i18n.LABELS`."""

from __future__ import annotations

Pair = tuple[str, str]

ACCOUNT_LABELS: dict[str, Pair] = {
    "login.name": ("用户名", "User name"),
    "login.bad_input": (
        "{field}：填写内容不被接受（{detail}）",
        "{field}: not accepted ({detail})",
    ),
    "login.password": ("密码", "Password"),
    "login.with_token": ("使用访问令牌登录", "Log in with an access token"),
    "login.oidc": ("统一身份认证登录", "Log in with single sign-on"),
    "login.missing_password": ("请输入用户名和密码。", "Enter your user name and password."),
    "login.wrong_password": ("用户名或密码错误。", "The user name or password is wrong."),
    "login.locked": (
        "连续输错密码次数过多，账户已锁定至 {until}（北京时间）。",
        "Too many wrong passwords in a row: the account is locked until {until} (Beijing time).",
    ),
    "login.stale": (
        "登录页面已过期，请重新登录。",
        "The sign-in page had expired; please sign in again.",
    ),
    "login.oidc_failed": (
        "统一身份认证未能完成登录：{reason}",
        "Single sign-on did not sign you in: {reason}",
    ),
    "nav.account": ("我的账户", "My account"),
    "account.title": ("我的账户与令牌", "My account and tokens"),
    "account.tokens": ("我的访问令牌", "My access tokens"),
    "account.tokens_intro": (
        "令牌以您的身份调用接口（如导出 CSV），权限随您的角色变化；账户停用后全部失效。",
        "A token calls the API as you (e.g. to export CSV), with your role and scope as they"
        " are; all stop working when your account is disabled.",
    ),
    "account.none": ("尚无令牌。", "No tokens yet."),
    "account.note": ("用途说明", "What it is for"),
    "account.days": ("有效天数", "Valid for (days)"),
    "account.issue": ("签发令牌", "Issue a token"),
    "account.revoke": ("吊销", "Revoke"),
    "account.issued": ("签发时间", "Issued"),
    "account.expires": ("到期时间", "Expires"),
    "account.state": ("状态", "State"),
    "account.state.active": ("有效", "active"),
    "account.state.revoked": ("已吊销", "revoked"),
    "account.state.expired": ("已过期", "expired"),
    "account.secret": (
        "新令牌如下，仅显示这一次（系统只保存其哈希值）：",
        "Your new token, shown this once (only its hash is kept):",
    ),
    "account.password": ("修改密码", "Change the password"),
    "account.current_password": ("当前密码", "Current password"),
    "account.new_password": ("新密码（至少 10 个字符）", "New password (10 characters or more)"),
    "account.new_password_again": ("再次输入新密码", "The new password again"),
    "account.change_password": ("修改密码", "Change the password"),
    "account.password_changed": (
        "密码已修改；其他设备上的登录已失效。",
        "The password is changed; your sessions elsewhere have ended.",
    ),
    "account.sso_only": (
        "此账户通过统一身份认证登录，没有本地密码。",
        "This account signs in by single sign-on and has no password here.",
    ),
    "account.not_user": (
        "此页面仅适用于以用户名登录的用户；独立令牌由管理员通过命令行管理。",
        "This page is for users signed in by name; free-standing tokens are managed by an"
        " administrator on the command line.",
    ),
}
