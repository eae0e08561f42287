// Escape stops a reply being written, unless it is closing a dialog or a menu first. The composer leaving the document
// (the operator went to another page) ends the listening. Enter and the text are MessageBox's.
export function initComposer(composerElement, composer) {
    const stopOnEscape = e => {
        if (!composerElement.isConnected) {
            document.removeEventListener('keydown', stopOnEscape);
        } else if (e.key === 'Escape' && !e.defaultPrevented && !document.querySelector('.mud-dialog, .mud-popover-open')) {
            composer.invokeMethodAsync('StopFromKeyboard');
        }
    };
    document.addEventListener('keydown', stopOnEscape);
}
