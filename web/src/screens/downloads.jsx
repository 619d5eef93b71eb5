// screens/downloads.jsx — placeholder, being written by ui-core.
export const screen = { id: 'downloads', route: '/downloads', nav: 'nav.downloads', public: true, visible: (me) => true, Component: ({ t }) => <p>{t('common.soon')}</p> };
