/** The keyword request schemas get in place of a `readOnly` property: present at all, it fails. */
export const READ_ONLY_KEYWORD = 'portcullisReadOnly';
