/**
 * Facts about HTML used by the XSS detector: event handler names, attributes that take URLs, elements that load or
 * run content, and the ordinary elements (whose tags alone are only a notice).
 */

/** Event names (the part after `on`) that browsers dispatch to content attributes, current and historical. */
export const EVENT_NAMES = new Set([
  'abort', 'activate', 'afterprint', 'afterscriptexecute', 'afterupdate', 'animationcancel', 'animationend',
  'animationiteration', 'animationstart', 'auxclick', 'beforeactivate', 'beforecopy', 'beforecut',
  'beforedeactivate', 'beforeeditfocus', 'beforeinput', 'beforematch', 'beforepaste', 'beforeprint',
  'beforescriptexecute', 'beforetoggle', 'beforeunload', 'beforeupdate', 'begin', 'blur', 'bounce', 'cancel',
  'canplay', 'canplaythrough', 'cellchange', 'change', 'click', 'close', 'command', 'contentvisibilityautostatechange',
  'contextlost', 'contextmenu', 'contextrestored', 'controlselect', 'copy', 'cuechange', 'cut', 'dataavailable',
  'datasetchanged', 'datasetcomplete', 'dblclick', 'deactivate', 'drag', 'dragdrop', 'dragend', 'dragenter',
  'dragexit', 'dragleave', 'dragover', 'dragstart', 'drop', 'durationchange', 'emptied', 'end', 'ended', 'error',
  'errorupdate', 'filterchange', 'finish', 'focus', 'focusin', 'focusout', 'formdata', 'fullscreenchange',
  'fullscreenerror', 'gotpointercapture', 'hashchange', 'help', 'input', 'invalid', 'keydown', 'keypress', 'keyup',
  'layoutcomplete', 'load', 'loadeddata', 'loadedmetadata', 'loadend', 'loadstart', 'losecapture',
  'lostpointercapture', 'message', 'messageerror', 'mousedown', 'mouseenter', 'mouseleave', 'mousemove', 'mouseout',
  'mouseover', 'mouseup', 'mousewheel', 'move', 'moveend', 'movestart', 'mozfullscreenchange', 'offline', 'online',
  'overflow', 'pagehide', 'pagereveal', 'pageshow', 'pageswap', 'paste', 'pause', 'play', 'playing', 'pointercancel',
  'pointerdown', 'pointerenter', 'pointerleave', 'pointermove', 'pointerout', 'pointerover', 'pointerrawupdate',
  'pointerup', 'popstate', 'progress', 'propertychange', 'ratechange', 'readystatechange', 'rejectionhandled',
  'repeat', 'reset', 'resize', 'resizeend', 'resizestart', 'rowenter', 'rowexit', 'rowsdelete', 'rowsinserted',
  'scroll', 'scrollend', 'scrollsnapchange', 'scrollsnapchanging', 'search', 'securitypolicyviolation', 'seeked',
  'seeking', 'select', 'selectionchange', 'selectstart', 'show', 'slotchange', 'stalled', 'start', 'storage',
  'submit', 'suspend', 'timeupdate', 'toggle', 'touchcancel', 'touchend', 'touchmove', 'touchstart',
  'transitioncancel', 'transitionend', 'transitionrun', 'transitionstart', 'underflow', 'unhandledrejection',
  'unload', 'volumechange', 'waiting', 'webkitanimationend', 'webkitanimationiteration', 'webkitanimationstart',
  'webkitmouseforcechanged', 'webkitmouseforcedown', 'webkitmouseforceup', 'webkitmouseforcewillbegin',
  'webkitplaybacktargetavailabilitychanged', 'webkittransitionend', 'webkitwillrevealbottom', 'wheel', 'zoom',
  'focusable', 'scrollintoview',
]);

/** Attributes whose value is a URL that a browser may navigate to, load or run. */
export const URL_ATTRS = new Set([
  'href', 'src', 'action', 'formaction', 'data', 'codebase', 'archive', 'background', 'poster', 'lowsrc', 'dynsrc',
  'cite', 'longdesc', 'usemap', 'manifest', 'icon', 'ping', 'profile', 'classid', 'datasrc', 'import', 'folder',
  'xlink:href', 'xml:base', 'srcset', 'imagesrcset',
]);

/** SVG animation elements: `values`, `to`, `from`, `by` can put a `javascript:` URL into an `href`. */
export const ANIMATION_ELEMENTS = new Set(['animate', 'set', 'animatemotion', 'animatetransform', 'animatecolor']);

/** Elements that load or run other content whatever their attributes. */
export const LOADING_ELEMENTS = new Set([
  'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'vmlframe', 'bgsound', 'layer', 'ilayer', 'portal',
  'fencedframe',
]);

/** Elements whose content is raw text: a closing tag for one not opened in the value leaves such a context. */
export const RAW_TEXT_ELEMENTS = new Set([
  'script', 'style', 'textarea', 'title', 'xmp', 'noscript', 'noembed', 'noframes', 'iframe', 'template',
  'plaintext', 'select', 'option', 'listing', 'comment',
]);

/** Ordinary HTML and SVG/MathML elements: their tags alone are only a notice. */
export const KNOWN_ELEMENTS = new Set([
  'a', 'abbr', 'acronym', 'address', 'area', 'article', 'aside', 'audio', 'b', 'bdi', 'bdo', 'big', 'blink',
  'blockquote', 'body', 'br', 'button', 'canvas', 'caption', 'center', 'cite', 'code', 'col', 'colgroup', 'data',
  'datalist', 'dd', 'del', 'details', 'dfn', 'dialog', 'dir', 'div', 'dl', 'dt', 'em', 'fieldset', 'figcaption',
  'figure', 'font', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'header', 'hgroup', 'hr', 'html',
  'i', 'image', 'img', 'input', 'ins', 'isindex', 'kbd', 'keygen', 'label', 'legend', 'li', 'listing', 'main', 'map',
  'mark', 'marquee', 'menu', 'menuitem', 'meta', 'meter', 'nav', 'nobr', 'noembed', 'noframes', 'noscript', 'ol',
  'optgroup', 'option', 'output', 'p', 'param', 'picture', 'plaintext', 'pre', 'progress', 'q', 'rp', 'rt', 'ruby',
  's', 'samp', 'search', 'section', 'select', 'slot', 'small', 'source', 'span', 'strike', 'strong', 'style', 'sub',
  'summary', 'sup', 'table', 'tbody', 'td', 'template', 'textarea', 'tfoot', 'th', 'thead', 'time', 'title', 'tr',
  'track', 'tt', 'u', 'ul', 'var', 'video', 'wbr', 'xmp', 'link', 'base',
  'svg', 'math', 'animate', 'set', 'animatemotion', 'animatetransform', 'use', 'foreignobject', 'feimage', 'g',
  'path', 'rect', 'circle', 'text', 'tspan', 'maction', 'mtext', 'mglyph', 'annotation-xml', 'handler', 'listener',
]);

/** URL schemes that run script. */
export const SCRIPT_SCHEMES = new Set(['javascript', 'vbscript', 'livescript', 'mocha', 'ecmascript', 'jscript']);

/** `data:` media types a browser renders as a document or runs as script. */
export const ACTIVE_DATA_TYPES = new Set([
  'text/html', 'application/xhtml+xml', 'text/javascript', 'application/javascript', 'application/x-javascript',
  'text/ecmascript', 'application/ecmascript', 'text/vbscript', 'text/jscript', 'text/x-scriptlet',
  'application/x-shockwave-flash',
]);

/** `data:` media types that are documents with script in some contexts (frames, objects, navigation). */
export const DOCUMENT_DATA_TYPES = new Set(['image/svg+xml', 'text/xml', 'application/xml', 'text/xsl']);

/**
 * Raster images: a `data:` URL of one of these types shows pixels wherever it is loaded (browsers refuse to run
 * `image/*` as a script), as the embedded logos of SVG files and HTML e-mails do.
 */
export const RASTER_DATA_TYPES = new Set([
  'image/png', 'image/jpeg', 'image/jpg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/x-icon',
  'image/vnd.microsoft.icon', 'image/apng', 'image/tiff',
]);

/** Element/attribute pairs whose URL is loaded as a document or script: any other `data:` URL there is dangerous. */
export function loadsAsDocument(element: string, attr: string): boolean {
  switch (attr) {
    case 'src': return element === 'script' || element === 'iframe' || element === 'frame' || element === 'embed';
    case 'data': return element === 'object';
    case 'href': return element === 'a' || element === 'base' || element === 'use' || element === 'link' ||
      element === 'area' || element === 'animate' || element === 'set';
    case 'xlink:href': return true;
    case 'action': case 'formaction': return true;
    default: return false;
  }
}
